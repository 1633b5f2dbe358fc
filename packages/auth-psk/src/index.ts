/**
 * @udprpc/auth-psk — optional pre-shared-key protection for udprpc, as a
 * {@link @udprpc/core!Transport} wrapper: every datagram is sealed with an AEAD
 * (ChaCha20-Poly1305 by default, or AES-256-GCM, from `node:crypto`), every
 * received one is authenticated and checked against replay, and the server
 * learns which key sealed it (`ctx.authenticatedAs`). Key rotation without
 * downtime, and plaintext side by side when you ask for it. Threat model,
 * wire format and rotation procedure: docs/security.md.
 *
 * @example
 * import { createPskTransport } from '@udprpc/auth-psk';
 * import { createClient, createServer, createUdpTransport } from 'udprpc';
 *
 * const keys = { k1: process.env.UDPRPC_PSK! }; // 32 bytes: 64 hex digits or base64
 * const server = createServer({
 *   transport: createPskTransport(createUdpTransport({ host: '127.0.0.1', port: 4000 }), { keys, sendKeyId: 'k1' }),
 *   requireAuth: true,
 * });
 * const client = createClient({
 *   transport: createPskTransport(createUdpTransport({ host: '127.0.0.1' }), { keys, sendKeyId: 'k1' }),
 *   peer: { address: '127.0.0.1', family: 'IPv4', port: 4000 },
 * });
 *
 * @packageDocumentation
 * @module @udprpc/auth-psk
 */
export {
  createPskTransport,
  type PskTransport,
  type PskTransportOptions,
  type PskTransportStats,
} from './psk-transport.js';
export {
  KeyRing,
  createKeyRing,
  generateKey,
  parseKeyMaterial,
  MAX_KEY_ID_BYTES,
  type KeyMaterial,
} from './key-ring.js';
export { KEY_BYTES, NONCE_BYTES, TAG_BYTES, ALGORITHM_IDS, type PskAlgorithm } from './aead.js';
export {
  PSK_MAGIC,
  PSK_VERSION,
  PSK_DROP_REASONS,
  MAX_SEAL_OVERHEAD_BYTES,
  sealOverheadBytes,
  isSealed,
  parseSealedHeader,
  sealDatagram,
  openDatagram,
  receiverBinding,
  type PskDropReason,
  type SealedHeader,
  type SealOptions,
  type OpenedDatagram,
} from './wire.js';
export {
  ReplayWindow,
  ReplayTable,
  DEFAULT_REPLAY_WINDOW,
  MAX_REPLAY_WINDOW,
  DEFAULT_MAX_SENDERS,
} from './replay-window.js';
