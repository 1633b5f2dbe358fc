import type { FrameError } from './frame.js';

// Call metadata on the wire (protocol.md §5.8): a block of key/value entries
// inside a REQUEST, RESPONSE or ERROR body whose header has HAS_METADATA set.
// Pure functions over bytes, like frame.ts: encoders validate and report why
// they cannot encode (the layers above turn that into an RpcError), decoders
// never throw.

/** Default cap on one metadata block, length field included, in bytes (protocol.md §5.8). */
export const DEFAULT_MAX_METADATA_BYTES = 8192;
/** The largest block the u16 length field can describe: 2 + 65 535 bytes. */
export const MAX_METADATA_BLOCK_BYTES = 2 + 0xffff;
/** Longest key, in bytes (it is length-prefixed by one byte). */
export const MAX_METADATA_KEY_BYTES = 255;
/** Keys starting with this are reserved for the protocol; applications may not send them. */
export const RESERVED_METADATA_PREFIX = 'udprpc-';

/** Value kinds of a metadata entry (protocol.md §5.8). */
export const MetadataKind = {
  /** A UTF-8 string. */
  STRING: 0,
  /** Opaque bytes. */
  BYTES: 1,
} as const;

/** A metadata value: a string (sent as UTF-8) or bytes. */
export type MetadataValue = string | Uint8Array;

/**
 * Metadata as callers write it: a plain object from key to value. Keys are
 * 1 to 255 characters of `a-z`, `0-9`, `-`, `_` and `.`; keys starting with
 * `udprpc-` are reserved for the protocol.
 */
export type MetadataInit = Readonly<Record<string, MetadataValue>>;

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Read-only call metadata: the request metadata a server handler sees
 * (`ctx.metadata`), or the reply metadata a client receives. Iterating
 * yields `[key, value]` pairs in wire order.
 */
export class Metadata implements Iterable<[string, MetadataValue]> {
  /** Metadata with no entries (what a call without metadata sees). */
  static readonly EMPTY: Metadata = new Metadata(new Map());

  readonly #entries: ReadonlyMap<string, MetadataValue>;

  private constructor(entries: ReadonlyMap<string, MetadataValue>) {
    this.#entries = entries;
  }

  /**
   * Metadata with the entries of `init`. Throws a TypeError naming the first
   * key or value that is not valid (protocol.md §5.8); the reserved prefix is
   * allowed here (it is refused where metadata is sent).
   */
  static from(init: MetadataInit | Iterable<readonly [string, MetadataValue]>): Metadata {
    const map = new Map<string, MetadataValue>();
    const pairs = isIterable(init) ? init : Object.entries(init);
    for (const [key, value] of pairs) {
      const problem = metadataKeyProblem(key) ?? valueProblem(key, value);
      if (problem !== undefined) throw new TypeError(problem);
      if (map.has(key)) throw new TypeError(`metadata key ${key} is given twice`);
      map.set(key, value);
    }
    return map.size === 0 ? Metadata.EMPTY : new Metadata(map);
  }

  /** @internal Wraps entries already checked by {@link decodeMetadataBlock}. */
  static ofChecked(entries: Map<string, MetadataValue>): Metadata {
    return new Metadata(entries);
  }

  /** The value of `key`, or undefined. */
  get(key: string): MetadataValue | undefined {
    return this.#entries.get(key);
  }

  /** Whether `key` is present. */
  has(key: string): boolean {
    return this.#entries.has(key);
  }

  /** Number of entries. */
  get size(): number {
    return this.#entries.size;
  }

  /** The keys, in wire order. */
  keys(): IterableIterator<string> {
    return this.#entries.keys();
  }

  /** `[key, value]` pairs, in wire order. */
  entries(): IterableIterator<[string, MetadataValue]> {
    return this.#entries.entries();
  }

  /** Same as {@link Metadata.entries}. */
  [Symbol.iterator](): IterableIterator<[string, MetadataValue]> {
    return this.#entries.entries();
  }

  /** A new plain object with the entries, e.g. to copy them into a call's `metadata` option. */
  toObject(): Record<string, MetadataValue> {
    // No prototype: a key such as `__proto__` (valid: a-z and _) stays an own property.
    const out = Object.create(null) as Record<string, MetadataValue>;
    for (const [key, value] of this.#entries) out[key] = value;
    return out;
  }
}

function isIterable(value: object): value is Iterable<readonly [string, MetadataValue]> {
  return typeof (value as { [Symbol.iterator]?: unknown })[Symbol.iterator] === 'function';
}

// Allowed key bytes: a-z 0-9 - _ . (protocol.md §5.8).
function isKeyByte(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x5f || c === 0x2e;
}

/** Why `key` is not a valid metadata key, or undefined when it is. The reserved prefix is not checked here. */
export function metadataKeyProblem(key: unknown): string | undefined {
  if (typeof key !== 'string') return `metadata key must be a string, got ${typeof key}`;
  if (key.length === 0 || key.length > MAX_METADATA_KEY_BYTES) {
    return `metadata key ${JSON.stringify(key.slice(0, 40))} is ${key.length} characters; keys are 1 to ${MAX_METADATA_KEY_BYTES}`;
  }
  for (let i = 0; i < key.length; i++) {
    if (!isKeyByte(key.charCodeAt(i))) return `metadata key ${JSON.stringify(key.slice(0, 40))} has a character outside a-z 0-9 - _ .`;
  }
  return undefined;
}

function valueProblem(key: string, value: unknown): string | undefined {
  if (value instanceof Uint8Array) return undefined;
  if (typeof value !== 'string') return `metadata value of ${key} must be a string or a Uint8Array, got ${value === null ? 'null' : typeof value}`;
  if (!(value as string & { isWellFormed(): boolean }).isWellFormed()) return `metadata value of ${key} is not well-formed UTF-16 (a lone surrogate)`;
  return undefined;
}

/** Why a set of metadata could not be encoded: an invalid key or value, or above the size cap. */
export interface MetadataEncodeFailure {
  /** `invalid`: a key or value breaks §5.8; `too-large`: the block is above `maxBytes`. */
  readonly problem: 'invalid' | 'too-large';
  /** Human-readable reason. */
  readonly message: string;
}

/**
 * Encodes `init` as a metadata block (protocol.md §5.8), or says why it
 * cannot: an invalid or reserved key, a value that is neither a string nor
 * bytes, or a block above `maxBytes` (length field included). Returns
 * undefined when `init` has no entries: such a call carries no block and
 * leaves HAS_METADATA clear. Never throws.
 */
export function encodeMetadataBlock(init: MetadataInit, maxBytes: number): Uint8Array | MetadataEncodeFailure | undefined {
  const keys = Object.keys(init);
  if (keys.length === 0) return undefined;
  const values: Uint8Array[] = [];
  let size = 2;
  for (const key of keys) {
    const value = init[key];
    const problem = metadataKeyProblem(key) ?? valueProblem(key, value);
    if (problem !== undefined) return { problem: 'invalid', message: problem };
    if (key.startsWith(RESERVED_METADATA_PREFIX)) {
      return { problem: 'invalid', message: `metadata key ${key} uses the reserved prefix ${RESERVED_METADATA_PREFIX}` };
    }
    const bytes = typeof value === 'string' ? utf8Encoder.encode(value) : value!;
    values.push(bytes);
    size += 4 + key.length + bytes.length;
  }
  const cap = Math.min(maxBytes, MAX_METADATA_BLOCK_BYTES);
  if (size > cap) return { problem: 'too-large', message: `metadata is ${size} bytes, above the ${cap}-byte limit` };
  const block = new Uint8Array(size);
  block[0] = (size - 2) >>> 8;
  block[1] = (size - 2) & 0xff;
  let at = 2;
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    const bytes = values[i]!;
    block[at++] = key.length;
    for (let k = 0; k < key.length; k++) block[at++] = key.charCodeAt(k);
    block[at++] = typeof init[key] === 'string' ? MetadataKind.STRING : MetadataKind.BYTES;
    block[at++] = bytes.length >>> 8;
    block[at++] = bytes.length & 0xff;
    block.set(bytes, at);
    at += bytes.length;
  }
  return block;
}

/** Size in bytes of the block that starts at `body[at]` (2 + its length field), or `truncated` when the body is shorter. */
export function metadataBlockSize(body: Uint8Array, at: number): number | 'truncated' {
  if (body.length < at + 2) return 'truncated';
  const size = 2 + ((body[at]! << 8) | body[at + 1]!);
  return body.length < at + size ? 'truncated' : size;
}

/**
 * Decodes a whole block (length field included, as sized by
 * {@link metadataBlockSize}). Never throws: an entry that overruns the block,
 * an empty or invalid key, a key given twice, an unknown value kind or a
 * string value that is not UTF-8 make it `malformed`. Byte values are
 * copied, so the metadata outlives the datagram.
 */
export function decodeMetadataBlock(block: Uint8Array): Metadata | 'malformed' {
  const entries = new Map<string, MetadataValue>();
  let at = 2;
  while (at < block.length) {
    const keyLength = block[at]!;
    if (keyLength === 0 || at + 1 + keyLength + 3 > block.length) return 'malformed';
    let key = '';
    for (let i = at + 1; i < at + 1 + keyLength; i++) {
      const c = block[i]!;
      if (!isKeyByte(c)) return 'malformed';
      key += String.fromCharCode(c);
    }
    at += 1 + keyLength;
    const kind = block[at]!;
    const valueLength = (block[at + 1]! << 8) | block[at + 2]!;
    at += 3;
    if (at + valueLength > block.length || entries.has(key)) return 'malformed';
    const raw = block.subarray(at, at + valueLength);
    at += valueLength;
    if (kind === MetadataKind.BYTES) {
      entries.set(key, raw.slice());
    } else if (kind === MetadataKind.STRING) {
      const text = decodeUtf8(raw);
      if (text === undefined) return 'malformed';
      entries.set(key, text);
    } else {
      return 'malformed';
    }
  }
  return entries.size === 0 ? Metadata.EMPTY : Metadata.ofChecked(entries);
}

/**
 * Bytes a decoded {@link Metadata} retains on the heap, an upper bound for
 * what a server is charged while it holds a request's metadata (protocol.md
 * §5.8, §6.3): 256 for the object and its map, and per entry 64 plus the
 * key, plus 2 per UTF-16 unit of a string (one wide character makes V8 store
 * the whole string with two bytes per unit) or 192 plus the bytes of a byte
 * value (its Uint8Array and ArrayBuffer). Measured on Node 20 (x64): heap
 * and ArrayBuffer bytes after a full GC over 20 000 decoded blocks
 * (test/metadata/measure-metadata.ts): one short string 227, 8 strings 849,
 * one 16-byte value 466, a 1001-character string with one wide character
 * 2273; the formula charges 323, 1120, 531 and 2326.
 */
export function metadataRetainedBytes(metadata: Metadata): number {
  let bytes = 256;
  for (const [key, value] of metadata) bytes += 64 + key.length + (typeof value === 'string' ? 2 * value.length : 192 + value.length);
  return bytes;
}

/** A body whose metadata block was taken off: the metadata and what follows the block. */
export interface SplitMetadata {
  /** The decoded metadata. */
  readonly metadata: Metadata;
  /** The bytes after the block (a view). */
  readonly rest: Uint8Array;
  /** Size of the block, length field included. */
  readonly blockBytes: number;
}

/**
 * Takes the metadata block at the start of `body` off (protocol.md §5.8), in
 * the order of checks the spec gives: `truncated` when the block runs past
 * the body, `too-large` when it is above `maxBytes`, `malformed` when its
 * entries are. Never throws.
 */
export function splitMetadata(body: Uint8Array, maxBytes: number): SplitMetadata | FrameError | 'too-large' {
  const size = metadataBlockSize(body, 0);
  if (size === 'truncated') return size;
  if (size > maxBytes) return 'too-large';
  const metadata = decodeMetadataBlock(body.subarray(0, size));
  if (metadata === 'malformed') return metadata;
  return { metadata, rest: body.subarray(size), blockBytes: size };
}

/** Joins a metadata block and the bytes that follow it into one body. */
export function withMetadataBlock(block: Uint8Array, rest: Uint8Array): Uint8Array {
  const body = new Uint8Array(block.length + rest.length);
  body.set(block, 0);
  body.set(rest, block.length);
  return body;
}

function decodeUtf8(bytes: Uint8Array): string | undefined {
  try {
    return utf8Decoder.decode(bytes);
  } catch {
    return undefined;
  }
}
