// The sealed-datagram format, specified byte by byte in docs/security.md §5.
// Parsing never throws: every failure is a drop reason (security.md §6).
import { err, ok, type Result } from '@udprpc/core/wire';
import { algorithmFromId, ALGORITHM_IDS, NONCE_BYTES, openSealed, sealInto, TAG_BYTES, type PskAlgorithm } from './aead.js';
import type { KeyRing, RingKey } from './key-ring.js';
import { MAX_KEY_ID_BYTES } from './key-ring.js';

/** First two bytes of a sealed datagram: ASCII `uS` (plain udprpc frames start `ur`). */
export const PSK_MAGIC: readonly [number, number] = Object.freeze([0x75, 0x53]) as readonly [number, number];
/** Version byte of this format. */
export const PSK_VERSION = 1;
/** Bytes before the key id: magic (2), version, algorithm, key id length. */
const FIXED_BYTES = 5;
/** Bytes a sealed datagram adds to its payload for a key id of `keyIdBytes` UTF-8 bytes. */
export function sealOverheadBytes(keyIdBytes: number): number {
  return FIXED_BYTES + keyIdBytes + NONCE_BYTES + TAG_BYTES;
}
/** The most a sealed datagram adds to its payload (a 32-byte key id): 65 bytes. */
export const MAX_SEAL_OVERHEAD_BYTES = sealOverheadBytes(MAX_KEY_ID_BYTES);
/** Largest nonce counter; a sender stops before reaching it. */
export const MAX_COUNTER = 0xffff_ffff_ffff_ffffn;

/**
 * Why a received datagram was dropped by a PSK transport (security.md §6).
 * Never thrown: counted in `stats().dropped` and passed to `onDrop`.
 */
export type PskDropReason =
  | 'truncated'
  | 'unsupported-version'
  | 'unsupported-algorithm'
  | 'malformed'
  | 'unknown-key'
  | 'bad-tag'
  | 'replay'
  | 'plaintext';

/** Every {@link PskDropReason}, in the order a receiver checks for them. */
export const PSK_DROP_REASONS: readonly PskDropReason[] = Object.freeze([
  'plaintext',
  'truncated',
  'unsupported-version',
  'unsupported-algorithm',
  'malformed',
  'unknown-key',
  'replay',
  'bad-tag',
]);

/** The parsed, not yet verified, header of a sealed datagram. */
export interface SealedHeader {
  /** The AEAD named in the header. */
  readonly algorithm: PskAlgorithm;
  /** Id of the key the sender sealed with. */
  readonly keyId: string;
  /** The 4-byte random sender prefix, as a u32. */
  readonly prefix: number;
  /** The 8-byte message counter. */
  readonly counter: bigint;
  /** The whole header (bytes 0 to 17+K): the AEAD's associated data. */
  readonly aad: Uint8Array;
  /** The 12-byte nonce (prefix then counter). */
  readonly nonce: Uint8Array;
  /** Ciphertext followed by the 16-byte tag. */
  readonly sealed: Uint8Array;
}

/** A datagram that opened: its plaintext and who sealed it. */
export interface OpenedDatagram {
  /** The datagram as it was before sealing. */
  readonly plaintext: Uint8Array;
  /** Id of the key that sealed it. */
  readonly keyId: string;
  /** The AEAD it was sealed with. */
  readonly algorithm: PskAlgorithm;
  /** The sender's random 4-byte nonce prefix (identifies the sender for replay checks). */
  readonly prefix: number;
  /** The sender's nonce counter (the replay window's sequence number). */
  readonly counter: bigint;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** True if `bytes` starts with the sealed magic `uS` (security.md §5.4). */
export function isSealed(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === PSK_MAGIC[0] && bytes[1] === PSK_MAGIC[1];
}

/**
 * Parses the header of a datagram that {@link isSealed}. Checks, in order:
 * length, version, algorithm, key id length, total length, key id UTF-8.
 * Never throws.
 */
export function parseSealedHeader(bytes: Uint8Array): Result<SealedHeader, PskDropReason> {
  if (bytes.length < FIXED_BYTES) return err('truncated');
  if (bytes[2] !== PSK_VERSION) return err('unsupported-version');
  const algorithm = algorithmFromId(bytes[3]!);
  if (algorithm === undefined) return err('unsupported-algorithm');
  const idLength = bytes[4]!;
  if (idLength === 0 || idLength > MAX_KEY_ID_BYTES) return err('malformed');
  const headerLength = FIXED_BYTES + idLength + NONCE_BYTES;
  if (bytes.length < headerLength + TAG_BYTES) return err('truncated');
  let keyId: string;
  try {
    keyId = strictUtf8.decode(bytes.subarray(FIXED_BYTES, FIXED_BYTES + idLength));
  } catch {
    return err('malformed');
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const nonceAt = FIXED_BYTES + idLength;
  return ok({
    algorithm,
    keyId,
    prefix: view.getUint32(nonceAt),
    counter: view.getBigUint64(nonceAt + 4),
    aad: bytes.subarray(0, headerLength),
    nonce: bytes.subarray(nonceAt, headerLength),
    sealed: bytes.subarray(headerLength),
  });
}

const utf8 = new TextEncoder();
const NO_BINDING = new Uint8Array(0);

/**
 * The receiver binding of a datagram (security.md §5.6): `to <server>` for
 * what a client sends a server, `from <server>` for what a server sends back,
 * `<server>` being the server's address as its clients send to it
 * (`192.0.2.1:4000`, `[2001:db8::1]:4000`). It is not sent: both ends append
 * it to the header to form the AEAD's associated data, so a datagram opens
 * only at the server (and in the direction) it was sealed for.
 */
export function receiverBinding(direction: 'to' | 'from', server: string): Uint8Array {
  return utf8.encode(`${direction} ${server}`);
}

/** The AEAD's associated data: the header, then the binding (if any). */
function associatedData(header: Uint8Array, binding: Uint8Array): Uint8Array {
  if (binding.length === 0) return header;
  const aad = new Uint8Array(header.length + binding.length);
  aad.set(header);
  aad.set(binding, header.length);
  return aad;
}

/** @internal Opens a parsed sealed datagram with `key` and `binding`; undefined if it does not authenticate. */
export function openWithKey(h: SealedHeader, key: RingKey, binding: Uint8Array = NO_BINDING): Uint8Array | undefined {
  return openSealed(h.algorithm, key.aeadKey(h.algorithm), h.nonce, associatedData(h.aad, binding), h.sealed);
}

/** @internal Seals `plaintext` with a ring key. `prefix` is a u32, `counter` a u64. */
export function sealWithKey(
  plaintext: Uint8Array,
  key: RingKey,
  algorithm: PskAlgorithm,
  prefix: number,
  counter: bigint,
  binding: Uint8Array = NO_BINDING,
): Uint8Array {
  const idLength = key.idBytes.length;
  const headerLength = FIXED_BYTES + idLength + NONCE_BYTES;
  const out = new Uint8Array(headerLength + plaintext.length + TAG_BYTES);
  out[0] = PSK_MAGIC[0];
  out[1] = PSK_MAGIC[1];
  out[2] = PSK_VERSION;
  out[3] = ALGORITHM_IDS[algorithm];
  out[4] = idLength;
  out.set(key.idBytes, FIXED_BYTES);
  const view = new DataView(out.buffer);
  view.setUint32(FIXED_BYTES + idLength, prefix >>> 0);
  view.setBigUint64(FIXED_BYTES + idLength + 4, BigInt.asUintN(64, counter));
  const header = out.subarray(0, headerLength);
  sealInto(algorithm, key.aeadKey(algorithm), header.subarray(FIXED_BYTES + idLength), associatedData(header, binding), plaintext, out, headerLength);
  return out;
}

/** What {@link sealDatagram} needs besides the plaintext. */
export interface SealOptions {
  /** The keys to seal with. */
  readonly keys: KeyRing;
  /** Id (in `keys`) of the key to seal with. */
  readonly keyId: string;
  /** Default `chacha20-poly1305`. */
  readonly algorithm?: PskAlgorithm;
  /** Sender prefix, a u32 chosen at random per sender. */
  readonly prefix: number;
  /** Message counter, a u64; never reuse a (key, prefix, counter) triple. */
  readonly counter: bigint;
  /** The receiver binding (§5.6, {@link receiverBinding}); none by default, as in the worked example of §5.5. */
  readonly binding?: Uint8Array;
}

/**
 * Seals one datagram (security.md §5). A low-level building block for tools
 * and other transports; {@link createPskTransport} manages prefixes and
 * counters itself. Throws a TypeError if `keyId` is not in `keys`.
 */
export function sealDatagram(plaintext: Uint8Array, options: SealOptions): Uint8Array {
  const key = options.keys.lookup(options.keyId);
  if (key === undefined) throw new TypeError(`no key ${JSON.stringify(options.keyId)} in the ring`);
  return sealWithKey(plaintext, key, options.algorithm ?? 'chacha20-poly1305', options.prefix, options.counter, options.binding);
}

/**
 * Verifies and decrypts one sealed datagram with the named key from `keys`,
 * and the receiver binding it was sealed with (§5.6; none by default).
 * Has no replay protection (that needs state; the transport keeps it).
 * Never throws: a datagram that does not open yields its drop reason.
 */
export function openDatagram(bytes: Uint8Array, keys: KeyRing, binding: Uint8Array = NO_BINDING): Result<OpenedDatagram, PskDropReason> {
  if (!isSealed(bytes)) return err('plaintext');
  const header = parseSealedHeader(bytes);
  if (!header.ok) return header;
  const h = header.value;
  const key = keys.lookup(h.keyId);
  if (key === undefined) return err('unknown-key');
  const plaintext = openWithKey(h, key, binding);
  if (plaintext === undefined) return err('bad-tag');
  return ok({ plaintext, keyId: h.keyId, algorithm: h.algorithm, prefix: h.prefix, counter: h.counter });
}
