import { randomBytes, type KeyObject } from 'node:crypto';
import { checkObject, describeValue } from '@udprpc/core/engine';
import { deriveAeadKey, KEY_BYTES, type PskAlgorithm } from './aead.js';

/** Longest key id, in UTF-8 bytes (it travels in every datagram, security.md §5). */
export const MAX_KEY_ID_BYTES = 32;

/**
 * A pre-shared key: 32 bytes, either as bytes or as a string of 64 hex
 * digits or of base64/base64url (43 or 44 characters). Generate one with
 * {@link generateKey}; a password is not a key.
 */
export type KeyMaterial = Uint8Array | string;

/** @internal A key in a ring, with its per-algorithm AEAD keys derived on first use. */
export interface RingKey {
  readonly id: string;
  readonly idBytes: Uint8Array;
  aeadKey(algorithm: PskAlgorithm): KeyObject;
}

const utf8 = new TextEncoder();
const utf8decoder = new TextDecoder();
const HEX = /^[0-9a-fA-F]{64}$/;
const BASE64 = /^[A-Za-z0-9+/]{43}=?$|^[A-Za-z0-9_-]{43}$/;

/** 32 fresh random bytes from the system CSPRNG: a new pre-shared key. */
export function generateKey(): Uint8Array {
  return new Uint8Array(randomBytes(KEY_BYTES));
}

/** Parses key material; throws a RangeError naming `id` if it is not 32 bytes, a TypeError if it is neither bytes nor text. */
export function parseKeyMaterial(id: string, key: KeyMaterial): Uint8Array {
  if (key instanceof Uint8Array) {
    if (key.length !== KEY_BYTES) throw new RangeError(`key ${JSON.stringify(id)} must be ${KEY_BYTES} bytes, got ${key.length}`);
    return key.slice();
  }
  if (typeof key === 'string') {
    if (HEX.test(key)) return new Uint8Array(Buffer.from(key, 'hex'));
    if (BASE64.test(key)) return new Uint8Array(Buffer.from(key.replace(/-/g, '+').replace(/_/g, '/'), 'base64'));
  } else {
    throw new TypeError(`key ${JSON.stringify(id)} must be a Uint8Array or a string (hex or base64), got ${describeValue(key)}`);
  }
  throw new RangeError(
    `key ${JSON.stringify(id)} must be ${KEY_BYTES} bytes: a Uint8Array, 64 hex digits, or 43/44 base64 characters`,
  );
}

/** Checks a key id; returns its UTF-8 bytes or throws a TypeError. */
export function encodeKeyId(id: string): Uint8Array {
  if (typeof id !== 'string' || id.length === 0) throw new TypeError('a key id must be a non-empty string');
  const bytes = utf8.encode(id);
  // A lone surrogate would be sent as U+FFFD and never match on the peer.
  if (utf8decoder.decode(bytes) !== id) throw new TypeError(`key id ${JSON.stringify(id)} is not valid Unicode`);
  if (bytes.length > MAX_KEY_ID_BYTES) {
    throw new TypeError(`key id ${JSON.stringify(id)} is ${bytes.length} UTF-8 bytes, above ${MAX_KEY_ID_BYTES}`);
  }
  return bytes;
}

function ringKey(id: string, secret: Uint8Array): RingKey {
  const idBytes = encodeKeyId(id);
  const derived = new Map<PskAlgorithm, KeyObject>();
  return {
    id,
    idBytes,
    aeadKey(algorithm) {
      let key = derived.get(algorithm);
      if (key === undefined) {
        key = deriveAeadKey(secret, algorithm);
        derived.set(algorithm, key);
      }
      return key;
    },
  };
}

/**
 * The pre-shared keys a PSK transport accepts, by key id. Several keys may be
 * live at once, which is what makes rotation without downtime possible
 * (security.md §3). Changes take effect for the next datagram. One ring may
 * be shared by several transports.
 *
 * @example
 * const ring = createKeyRing({ '2025-01': process.env.UDPRPC_PSK! });
 * ring.add('2025-02', generateKey());
 * ring.remove('2025-01');
 */
export class KeyRing {
  private readonly keys = new Map<string, RingKey>();

  /** Creates a ring holding `keys` (id → material). */
  constructor(keys: Readonly<Record<string, KeyMaterial>> = {}) {
    checkObject(keys as unknown, 'keys');
    for (const [id, key] of Object.entries(keys)) this.add(id, key);
  }

  /** Number of keys. */
  get size(): number {
    return this.keys.size;
  }

  /** Key ids, oldest first. */
  ids(): string[] {
    return [...this.keys.keys()];
  }

  /** True if the ring holds `id`. */
  has(id: string): boolean {
    return this.keys.has(id);
  }

  /**
   * Adds a key. Throws (TypeError/RangeError) if the id or the material is
   * invalid, or if `id` is already present: remove it first, so a key id
   * never silently changes meaning.
   */
  add(id: string, key: KeyMaterial): this {
    const entry = ringKey(id, parseKeyMaterial(id, key));
    if (this.keys.has(id)) throw new TypeError(`key id ${JSON.stringify(id)} is already in the ring`);
    this.keys.set(id, entry);
    return this;
  }

  /** Removes a key: datagrams sealed with it are dropped from now on. True if it was there. */
  remove(id: string): boolean {
    return this.keys.delete(id);
  }

  /**
   * Adds `id` and then removes the oldest keys until at most `keep` remain
   * (default 2: the new key and the one before it). Returns the removed ids.
   * Transports still sending with a removed key fail their sends, so switch
   * senders first (`setSendKey`) or keep enough keys.
   */
  rotate(id: string, key: KeyMaterial, options: { keep?: number } = {}): string[] {
    const keep = options.keep ?? 2;
    if (!Number.isInteger(keep) || keep < 1) throw new RangeError(`keep must be an integer >= 1, got ${keep}`);
    this.add(id, key);
    const removed: string[] = [];
    for (const old of this.keys.keys()) {
      if (this.keys.size - removed.length <= keep) break;
      removed.push(old);
    }
    for (const old of removed) this.keys.delete(old);
    return removed;
  }

  /** @internal The key named `id`, if present. */
  lookup(id: string): RingKey | undefined {
    return this.keys.get(id);
  }
}

/**
 * Creates a {@link KeyRing} holding `keys` (id → material).
 *
 * @throws TypeError when `keys` is not an object, a key id is not a valid
 * one, or material is neither bytes nor text; RangeError when material is
 * not 32 bytes.
 */
export function createKeyRing(keys: Readonly<Record<string, KeyMaterial>> = {}): KeyRing {
  return new KeyRing(keys);
}
