import { CodecId, type Codec } from '@udprpc/core';
import { checkOptionalBoolean, checkOptionalObject } from '@udprpc/core/engine';
import { err, ok, type Result } from '@udprpc/core/wire';
import { Packr, Unpackr } from 'msgpackr';
import { binaryBytesOfLastWalk, NestingTooDeep, profileValue } from './profile-values.js';
import { Scan, scanPayload } from './token-scan.js';
import { findCircularPath } from './circular.js';

/** The largest UDP payload: a payload beyond it can only have been reassembled from fragments. */
const MAX_DATAGRAM_PAYLOAD = 65_507;

/** Options of {@link createMsgpackCodec}. */
export interface MsgpackCodecOptions {
  /**
   * Copy MessagePack `bin` values (what a `Buffer` encodes to) out of the
   * received bytes instead of returning views into them. `true`: always; the
   * decoded `Uint8Array` then owns its memory, so it neither pins the whole
   * datagram nor changes if a transport reuses its receive buffer. `false`:
   * never, saving one copy per value when every datagram arrives in a fresh
   * buffer. Default: copy from inputs of at most 65 507 bytes (one datagram),
   * share with larger ones — only a message reassembled from fragments is
   * larger, and its buffer belongs to that message alone, so sharing it
   * saves a copy of the whole message (16 MiB for the largest) and pins
   * nothing else. Pass `true` if you decode large buffers of your own that
   * you change afterwards.
   */
  copyBinary?: boolean;
}

/**
 * Creates the MessagePack {@link Codec} of the udprpc MessagePack profile
 * (protocol.md §5.7.1, codec id 1), backed by msgpackr. It writes only
 * standard MessagePack a decoder in any language reads, and reads standard
 * MessagePack from any implementation.
 *
 * **Self-contained payloads.** Every payload decodes on its own: msgpackr's
 * records, bundled strings, structured clone and its other private
 * extensions are off, and no `structures` are kept. Input is scanned before
 * msgpackr parses it (see `token-scan.ts`): truncated tokens, extension types
 * other than the timestamp, the reserved byte 0xC1, trailing bytes and
 * nesting deeper than 512 levels are refused.
 *
 * **Types** (JavaScript → MessagePack → JavaScript):
 * - `null` → nil → `null`; `undefined` at the top level is the empty payload
 *   (a void method costs 0 bytes); inside an array or a `Map` it is sent as
 *   nil (→ `null`); an object property whose value is `undefined` is left out,
 *   as in JSON;
 * - booleans; strings as str (UTF-8; a lone surrogate is sent as U+FFFD);
 * - numbers: an integer in [−2^31, 2^32) as the smallest int format, any
 *   other number (fractions, larger integers, `NaN`, `±Infinity`) as float 64;
 *   `-0` is sent as the integer 0;
 * - `bigint` in the int 64 range as int 64, above it up to 2^64 − 1 as
 *   uint 64; larger ones are refused. On decode, an int 64 or uint 64 whose
 *   value v has |v| ≤ 2^53 is a number, any other a `bigint` (so `5n` comes
 *   back as `5`);
 * - `Uint8Array` and `Buffer` as bin → plain `Uint8Array`;
 * - `Date` as the timestamp extension (type −1; 32, 64 or 96 bit, the
 *   smallest that holds it) → `Date` (millisecond precision); an invalid
 *   Date is sent as nil;
 * - arrays; plain objects (and class instances: their own enumerable
 *   properties, or what their `toJSON` returns) as maps with str keys;
 *   `Map` as a map with its keys encoded like any value;
 * - a map decodes as a plain object when every key is a str (an own
 *   `__proto__` key becomes `__proto_`: msgpackr's guard against prototype
 *   pollution), otherwise as a `Map` with its keys decoded like values, so
 *   integer keys from other implementations stay numbers. A `Map` whose keys
 *   are all strings therefore comes back as an object.
 *
 * **Errors.** `encode` throws a `TypeError` for values outside the profile:
 * functions, symbols, `Set`, `Error`, `RegExp`, `ArrayBuffer`, typed arrays
 * other than `Uint8Array`, `DataView`, bigints beyond 64 bits, and values
 * nested more than 512 levels deep (every cyclic value). `decode` never
 * throws: empty input is `undefined`; input outside the profile is an error.
 * Strings are decoded leniently: invalid UTF-8 becomes U+FFFD.
 *
 * @throws TypeError when `options` is not an object or `copyBinary` not a boolean.
 */
export function createMsgpackCodec(options: MsgpackCodecOptions = {}): Codec {
  checkOptionalObject(options, 'options');
  checkOptionalBoolean(options.copyBinary, 'options.copyBinary');
  const common = {
    useRecords: false,
    variableMapSize: true,
    structuredClone: false,
    moreTypes: false,
    encodeUndefinedAsNil: true,
    // Not in msgpackr's type definitions (1.12), but read by its encoder.
    skipValues: [undefined],
    onInvalidDate: () => null,
    // 'auto' (int 64 within ±2^53 as a number, else a bigint) is in msgpackr
    // 1.12's decoder but not in its type definitions.
    int64AsType: 'auto' as 'bigint',
    copyBuffers: options.copyBinary ?? true,
    writeFunction: () => {
      throw new TypeError('functions cannot be encoded');
    },
  } as const;
  // One decoder for the common case (string keys, msgpackr's fast object
  // path), one that keeps maps as Maps for payloads with other keys.
  const packr = new Packr({ ...common, mapsAsObjects: true });
  const mapUnpackr = new Unpackr({ ...common, mapsAsObjects: false });
  // For reassembled messages (larger than any datagram): views into their own buffer.
  const share = options.copyBinary === undefined;
  const bigUnpackr = share ? new Unpackr({ ...common, copyBuffers: false, mapsAsObjects: true }) : packr;
  const bigMapUnpackr = share ? new Unpackr({ ...common, copyBuffers: false, mapsAsObjects: false }) : mapUnpackr;

  return {
    id: CodecId.MSGPACK,
    name: 'msgpack',
    encode(value: unknown): Uint8Array {
      if (value === undefined) return new Uint8Array(0);
      try {
        const profiled = profileValue(value);
        const binary = binaryBytesOfLastWalk();
        if (binary < LARGE_BINARY_BYTES) return packr.pack(profiled);
        return packLarge(packr, profiled, binary);
      } catch (e) {
        throw new TypeError(`msgpack codec cannot encode this value: ${encodeFailure(e, value)}`, { cause: e });
      }
    },
    decode(bytes: Uint8Array): Result<unknown, Error> {
      if (bytes.length === 0) return ok(undefined);
      const scan = scanPayload(bytes);
      if (scan === Scan.Invalid) return err(new Error('not a payload of the udprpc MessagePack profile: truncated, trailing bytes, nested too deep, or a refused byte or extension type'));
      try {
        // A fresh plain view: msgpackr caches a DataView on its input object,
        // and binary values sliced from a plain Uint8Array are plain too.
        const view = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
        const big = bytes.length > MAX_DATAGRAM_PAYLOAD;
        if (scan === Scan.StringKeys) return ok((big ? bigUnpackr : packr).unpack(view) as unknown);
        return ok(objectsForStringKeys((big ? bigMapUnpackr : mapUnpackr).unpack(view)));
      } catch (e) {
        return err(e instanceof Error ? e : new Error(String(e)));
      }
    },
  };
}

/**
 * Binary values of at least this many bytes in one value are packed into a
 * buffer of their own ({@link packLarge}).
 */
const LARGE_BINARY_BYTES = 256 * 1024;
/** Room for everything but the binary values, before msgpackr has to grow the buffer. */
const LARGE_SLACK_BYTES = 64 * 1024;

/**
 * Packs a value holding `binary` bytes of Uint8Array values into a buffer
 * sized for it. Left to itself, msgpackr writes into its shared buffer and
 * grows it by copying into one twice the size: a 16 MiB message allocated
 * and copied about 32 MiB, and the shared buffer then held the message's
 * bytes alive (every later small result was a view into it) until the next
 * large one replaced it. Here the result owns its buffer, and msgpackr goes
 * back to a small one.
 */
function packLarge(packr: Packr, value: unknown, binary: number): Uint8Array {
  packr.useBuffer(allocate(binary + LARGE_SLACK_BYTES));
  try {
    return packr.pack(value);
  } finally {
    packr.useBuffer(allocate(SMALL_BUFFER_BYTES));
  }
}

/** The size of msgpackr's own first buffer. */
const SMALL_BUFFER_BYTES = 8192;

// msgpackr writes strings with Buffer's utf8Write where Node's Buffer exists
// (and allocates Buffers itself there), else into plain Uint8Arrays.
// Zero-filled: a large one is fresh zero pages, and its slack is never stale memory.
const allocate: (bytes: number) => Uint8Array =
  typeof Buffer === 'function' ? (bytes) => Buffer.alloc(bytes) : (bytes) => new Uint8Array(bytes);

/** Why encoding `value` failed with `error`, in a user's terms. */
function encodeFailure(error: unknown, value: unknown): string {
  // The profile walk stops at its nesting limit, which every cycle reaches; a
  // RangeError (stack overflow) is the same thing found by msgpackr itself.
  if (!(error instanceof NestingTooDeep || error instanceof RangeError)) return error instanceof Error ? error.message : String(error);
  const circular = findCircularPath(value);
  if (circular !== undefined) return `it has a circular reference at ${circular}`;
  return error.message;
}

/** The default MessagePack codec: {@link createMsgpackCodec} with default options. */
export const msgpackCodec: Codec = createMsgpackCodec();

// Decoded in Map mode: turn every Map whose keys are all strings into a plain
// object, as the fast path would have, so the shape of a map does not depend
// on its neighbours' keys.
function objectsForStringKeys(value: unknown): unknown {
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = objectsForStringKeys(value[i]);
    return value;
  }
  if (!(value instanceof Map)) return value;
  let allStrings = true;
  for (const [k, x] of value) {
    value.set(k, objectsForStringKeys(x));
    if (typeof k !== 'string') allStrings = false;
  }
  if (!allStrings) return value;
  const object: Record<string, unknown> = {};
  for (const [k, x] of value as Map<string, unknown>) object[k === '__proto__' ? '__proto_' : k] = x;
  return object;
}
