import { randomBytes } from 'node:crypto';
import { networkInterfaces } from 'node:os';
import { formatPeer, RpcError, type DatagramHandler, type PeerAddress, type Transport, type UnreachableHandler } from '@udprpc/core';
import { MAX_UDP_PAYLOAD } from '@udprpc/core/wire';
import type { PskAlgorithm } from './aead.js';
import { KeyRing, type KeyMaterial } from './key-ring.js';
import { checkPskOptions } from './options-check.js';
import { DEFAULT_MAX_SENDERS, DEFAULT_REPLAY_WINDOW, ReplayTable } from './replay-window.js';
import { carriesClientFrames, PLAINTEXT, ReplyKeys } from './reply-keys.js';
import {
  isSealed,
  MAX_COUNTER,
  MAX_SEAL_OVERHEAD_BYTES,
  openWithKey,
  parseSealedHeader,
  PSK_DROP_REASONS,
  receiverBinding,
  sealWithKey,
  type PskDropReason,
} from './wire.js';

/** Options of {@link createPskTransport}. */
export interface PskTransportOptions {
  /** The keys accepted (id → 32-byte key), or a {@link KeyRing} to add and remove keys at run time. */
  keys: KeyRing | Readonly<Record<string, KeyMaterial>>;
  /** The key to seal outgoing requests with (replies use the key their request came with). Must be in `keys`. */
  sendKeyId: string;
  /**
   * Also accept plain udprpc frames, delivered without `authenticatedAs`,
   * and answer them in plaintext. Default false: plaintext is dropped.
   * Use with `requireAuth` on the server (security.md §7).
   */
  allowPlaintext?: boolean;
  /** Counters accepted below the highest seen from a sender (default 1024, rounded up to a multiple of 32). */
  replayWindow?: number;
  /** Senders whose replay windows are kept, and clients whose reply key is remembered (LRU; default 4096). */
  maxSenders?: number;
  /** AEAD to seal with (default `chacha20-poly1305`). Both algorithms are always accepted. */
  algorithm?: PskAlgorithm;
  /** Called for every dropped datagram, after it is counted. */
  onDrop?: (reason: PskDropReason, from: PeerAddress) => void;
  /**
   * A server's names, as its clients send to it: `host:port`, IPv6 in
   * brackets (`192.0.2.1:4000`, `[2001:db8::1]:4000`). Requests are bound to
   * the server they were sealed for (security.md §5.6): one sealed for
   * another server, even one with the same key, does not open here. Default:
   * the address the transport is bound to; for a wildcard address (`0.0.0.0`,
   * `::`), every address of this host's interfaces with the bound port. Set it
   * when clients reach the server at another address (NAT, a load balancer).
   */
  serverNames?: readonly string[];
}

/** Counters of a {@link PskTransport}. */
export interface PskTransportStats {
  /** Datagrams sealed and handed to the inner transport. */
  sealed: number;
  /** Datagrams that authenticated and were delivered with `authenticatedAs`. */
  opened: number;
  /** Plaintext datagrams delivered unauthenticated (`allowPlaintext`). */
  plaintextReceived: number;
  /** Plaintext replies sent to plaintext clients (`allowPlaintext`). */
  plaintextSent: number;
  /** Sends refused (send key missing, counter exhausted); each reported through `onError`. */
  sendFailures: number;
  /** Received datagrams dropped, by reason. */
  dropped: Record<PskDropReason, number>;
  /** Senders whose replay window is held. */
  senders: number;
  /** Replay windows forgotten to stay within `maxSenders`. */
  sendersEvicted: number;
}

/**
 * A {@link Transport} that seals every datagram with a pre-shared key
 * (AEAD), authenticates and de-duplicates what it receives, and tells the
 * server who sealed it (`meta.authenticatedAs`, the key id).
 */
export interface PskTransport extends Transport {
  /** The accepted keys; add and remove keys here at run time. */
  readonly keys: KeyRing;
  /** The key outgoing requests are sealed with. */
  readonly sendKeyId: string;
  /** The AEAD outgoing datagrams are sealed with. */
  readonly algorithm: PskAlgorithm;
  /** Most bytes sealing adds to a datagram (65 with a 32-byte key id). */
  readonly overheadBytes: number;
  /** Seals requests with key `id` from now on. Throws a TypeError if the ring lacks it. */
  setSendKey(id: string): void;
  /** A snapshot of the counters. */
  stats(): PskTransportStats;
}

class PskTransportImpl implements PskTransport {
  readonly keys: KeyRing;
  readonly algorithm: PskAlgorithm;
  readonly overheadBytes = MAX_SEAL_OVERHEAD_BYTES;
  readonly maxDatagramBytes: number;
  private sendKey: string;
  private readonly allowPlaintext: boolean;
  private readonly replay: ReplayTable;
  private readonly replyKeys: ReplyKeys;
  private readonly onDrop: ((reason: PskDropReason, from: PeerAddress) => void) | undefined;
  // Nonce = 4-byte random prefix ‖ 8-byte counter (security.md §5.2). The
  // counter starts at a random 63-bit value, so two senders that happen to
  // draw the same prefix still do not reuse nonces in practice.
  private readonly prefix: number;
  private counter: bigint;
  private onError: ((error: Error) => void) | undefined;
  private closed = false;
  /** Set once this transport sent a request: it is a client, and what it receives is bound `from` its server. */
  private isClient = false;
  /** A server's names (security.md §5.6), each with its binding; known once `listen` resolved. */
  private serverBindings: { name: string; binding: Uint8Array }[] | undefined;
  private readonly serverNames: readonly string[] | undefined;
  private readonly counts = {
    sealed: 0,
    opened: 0,
    plaintextReceived: 0,
    plaintextSent: 0,
    sendFailures: 0,
    dropped: Object.fromEntries(PSK_DROP_REASONS.map((r) => [r, 0])) as Record<PskDropReason, number>,
  };

  constructor(
    private readonly inner: Transport,
    options: PskTransportOptions,
  ) {
    checkPskOptions(inner, options);
    this.keys = options.keys instanceof KeyRing ? options.keys : new KeyRing(options.keys);
    this.algorithm = options.algorithm ?? 'chacha20-poly1305';
    this.sendKey = this.checkedSendKey(options.sendKeyId);
    this.allowPlaintext = options.allowPlaintext ?? false;
    const maxSenders = options.maxSenders ?? DEFAULT_MAX_SENDERS;
    this.replay = new ReplayTable(options.replayWindow ?? DEFAULT_REPLAY_WINDOW, maxSenders);
    this.replyKeys = new ReplyKeys(maxSenders);
    this.onDrop = options.onDrop;
    this.serverNames = options.serverNames;
    this.maxDatagramBytes = Math.max(0, (inner.maxDatagramBytes ?? MAX_UDP_PAYLOAD) - MAX_SEAL_OVERHEAD_BYTES);
    const seed = randomBytes(12);
    this.prefix = seed.readUInt32BE(0);
    this.counter = seed.readBigUInt64BE(4) >> 1n;
  }

  get sendKeyId(): string {
    return this.sendKey;
  }

  setSendKey(id: string): void {
    this.sendKey = this.checkedSendKey(id);
  }

  async listen(onDatagram: DatagramHandler, onError: (error: Error) => void, onUnreachable?: UnreachableHandler): Promise<PeerAddress> {
    this.onError = onError;
    const local = await this.inner.listen((bytes, from) => this.receive(bytes, from, onDatagram), onError, onUnreachable);
    this.serverBindings = (this.serverNames ?? namesOf(local)).map((name) => ({ name, binding: receiverBinding('to', name) }));
    return local;
  }

  send(bytes: Uint8Array, to: PeerAddress): void {
    if (this.closed) return;
    const choice = this.replyKeys.choose(bytes, to);
    if (choice === PLAINTEXT) {
      this.counts.plaintextSent++;
      return this.inner.send(bytes, to);
    }
    const request = choice === undefined && carriesClientFrames(bytes);
    if (request) this.isClient = true;
    const key = (choice === undefined ? undefined : this.keys.lookup(choice.keyId)) ?? this.keys.lookup(this.sendKey);
    // A request is bound to the server it goes to; anything else comes from
    // this server, under the name its client used (security.md §5.6).
    const binding = request ? receiverBinding('to', formatPeer(to)) : receiverBinding('from', choice?.server ?? this.serverBindings?.[0]?.name ?? '');
    if (key === undefined) {
      return this.sendFailed(new RpcError('FAILED_PRECONDITION', `cannot seal: send key ${JSON.stringify(this.sendKey)} is no longer in the key ring`));
    }
    if (this.counter >= MAX_COUNTER) {
      return this.sendFailed(new RpcError('RESOURCE_EXHAUSTED', 'cannot seal: the nonce counter is exhausted; create a new transport'));
    }
    let sealed: Uint8Array;
    try {
      sealed = sealWithKey(bytes, key, this.algorithm, this.prefix, this.counter++, binding);
    } catch (error) {
      return this.sendFailed(new RpcError('INTERNAL', 'cannot seal the datagram', { cause: error }));
    }
    this.counts.sealed++;
    this.inner.send(sealed, to);
  }

  setRef(ref: boolean): void {
    this.inner.setRef?.(ref);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.replay.clear();
    this.replyKeys.clear();
    await this.inner.close();
  }

  stats(): PskTransportStats {
    return {
      ...this.counts,
      dropped: { ...this.counts.dropped },
      senders: this.replay.size,
      sendersEvicted: this.replay.evicted,
    };
  }

  // security.md §6: the receive path. Nothing here throws because of what a datagram contains.
  private receive(bytes: Uint8Array, from: PeerAddress, deliver: DatagramHandler): void {
    if (this.closed) return;
    if (!isSealed(bytes)) {
      if (!this.allowPlaintext) return this.drop('plaintext', from);
      this.counts.plaintextReceived++;
      this.replyKeys.noteReceived(bytes, from, undefined);
      return deliver(bytes, from);
    }
    const parsed = parseSealedHeader(bytes);
    if (!parsed.ok) return this.drop(parsed.error, from);
    const h = parsed.value;
    const key = this.keys.lookup(h.keyId);
    if (key === undefined) return this.drop('unknown-key', from);
    // Cheap check first; the window only moves once the datagram authenticated.
    if (!this.replay.check(h.keyId, h.prefix, h.counter)) return this.drop('replay', from);
    // Bound to its receiver (security.md §5.6): a client opens what comes
    // `from` the server it called; a server what was sealed `to` one of its names.
    let plaintext: Uint8Array | undefined;
    let server = '';
    if (this.isClient) {
      plaintext = openWithKey(h, key, receiverBinding('from', formatPeer(from)));
    } else {
      for (const candidate of this.serverBindings ?? []) {
        plaintext = openWithKey(h, key, candidate.binding);
        if (plaintext !== undefined) {
          server = candidate.name;
          break;
        }
      }
    }
    if (plaintext === undefined) return this.drop('bad-tag', from);
    this.replay.accept(h.keyId, h.prefix, h.counter);
    this.counts.opened++;
    this.replyKeys.noteReceived(plaintext, from, { keyId: h.keyId, server });
    deliver(plaintext, from, { authenticatedAs: h.keyId });
  }

  private drop(reason: PskDropReason, from: PeerAddress): void {
    this.counts.dropped[reason]++;
    if (this.onDrop === undefined) return;
    try {
      this.onDrop(reason, from);
    } catch (error) {
      this.onError?.(error instanceof Error ? error : new Error(String(error)));
    }
  }

  private sendFailed(error: RpcError): void {
    this.counts.sendFailures++;
    this.onError?.(error);
  }

  private checkedSendKey(id: string): string {
    if (!this.keys.has(id)) throw new TypeError(`send key ${JSON.stringify(id)} is not in the key ring`);
    return id;
  }
}

/**
 * The names a server bound to `local` is reached at: that address, or for a
 * wildcard address every address of this host's interfaces (IPv4 only for
 * `0.0.0.0`), each with the bound port.
 */
function namesOf(local: PeerAddress): string[] {
  if (local.address !== '0.0.0.0' && local.address !== '::') return [formatPeer(local)];
  const names: string[] = [];
  for (const list of Object.values(networkInterfaces())) {
    for (const i of list ?? []) {
      if (local.address === '0.0.0.0' && i.family !== 'IPv4') continue;
      // A link-local IPv6 address needs a zone to be reached; it is not a name clients use.
      if (i.family === 'IPv6' && i.address.startsWith('fe80:')) continue;
      names.push(formatPeer({ address: i.address, family: i.family === 'IPv6' ? 'IPv6' : 'IPv4', port: local.port }));
    }
  }
  return names;
}

/**
 * Wraps `inner` so that every datagram is sealed with a pre-shared key
 * (ChaCha20-Poly1305 or AES-256-GCM) and every received one is authenticated,
 * checked against replay, and delivered with `meta.authenticatedAs` set to
 * the key id. Datagrams that fail are dropped and counted by reason, never
 * thrown. Wire format and threat model: docs/security.md.
 *
 * @example
 * const keys = { 'k1': process.env.UDPRPC_PSK! }; // 64 hex digits or base64
 * const server = createServer({
 *   transport: createPskTransport(createUdpTransport({ port: 4000 }), { keys, sendKeyId: 'k1' }),
 *   requireAuth: true,
 * });
 *
 * @throws TypeError for an option of the wrong type or shape (`inner` not a
 * transport, a `sendKeyId` not in the ring, an unknown `algorithm`, key
 * material that is neither bytes nor text, …), RangeError for one out of
 * range (key material not 32 bytes, `replayWindow` 0, `maxSenders` 0, …);
 * the message names the option or key.
 */
export function createPskTransport(inner: Transport, options: PskTransportOptions): PskTransport {
  return new PskTransportImpl(inner, options);
}
