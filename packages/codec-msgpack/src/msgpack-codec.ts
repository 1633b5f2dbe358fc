import { err, ok, type Codec, type Result } from '@udprpc/core';
import { Packr } from 'msgpackr';
import { isWholeTokenRun } from './token-scan.js';
import { findCircularPath } from './circular.js';

/** Options of {@link createMsgpackCodec}. */
export interface MsgpackCodecOptions {
  /**
   * Copy MessagePack `bin` values (what a `Buffer` encodes to) out of the
   * received bytes instead of returning views into them. Default `true`: the
   * decoded `Uint8Array` then owns its memory, so it neither pins the whole
   * datagram nor changes if a transport reuses its receive buffer. Set
   * `false` to save one copy per value when every datagram arrives in a fresh
   * buffer. Typed arrays (msgpackr's ext 0x74) are always copied.
   */
  copyBinary?: boolean;
}

/**
 * Creates a MessagePack {@link Codec} backed by msgpackr.
 *
 * **Self-contained payloads.** Every payload decodes on its own: msgpackr's
 * record extension is off (`useRecords: false`) and no `structures` are kept,
 * so nothing is shared between datagrams. Objects become MessagePack maps
 * with the smallest header that fits (`variableMapSize`); maps decode as
 * plain objects (`mapsAsObjects`). The structured-clone extension (object
 * references) is refused on decode, so a peer cannot make us build a cyclic
 * value. Input is checked for truncated tokens before msgpackr parses it,
 * because msgpackr's native string extractor can otherwise leave a corrupt
 * entry in msgpackr's process-wide map-key cache (see `token-scan.ts`).
 *
 * **Wire format.** JSON-like values, `Buffer`, `Date` and 64-bit `bigint`s
 * are written as standard MessagePack (map, array, str, bin, timestamp,
 * int64/uint64). Other JavaScript types use msgpackr's extension types
 * (`moreTypes`), which only msgpackr reads: typed arrays including plain
 * `Uint8Array` (ext 0x74), `Set`, `Error`, `RegExp` and larger `bigint`s.
 * `moreTypes` is not optional here: without it msgpackr copies a multi-byte
 * typed array (e.g. `Float64Array`) element by element into a byte buffer,
 * which corrupts the values and sends stale bytes of earlier payloads.
 *
 * **What round-trips** (`decode(encode(v))` deep-equals `v`):
 * - `null`, booleans, strings, numbers including `NaN` and `±Infinity`
 *   (but `-0` comes back as `0`, as in JSON), arrays (holes become
 *   `undefined`), plain objects (an own `__proto__` key comes back as
 *   `__proto_`: msgpackr's guard against prototype pollution);
 * - `undefined`, also nested (at the top level it is the empty payload, so
 *   a void method costs 0 bytes);
 * - `Uint8Array` and `Buffer` (both decode as a plain `Uint8Array`), the
 *   other typed arrays, `ArrayBuffer`, `DataView`;
 * - `Date` (including invalid dates), `bigint` of any size, `Set`, `RegExp`;
 * - `Error`: its class (for the built-in ones), `name`, `message` and
 *   `cause`, not its stack or other properties.
 *
 * **What changes shape**: a `Map` decodes as an object keyed by the
 * stringified keys (use strings, numbers, booleans or null: other keys may
 * produce bytes that then fail to decode); class instances as plain objects
 * of their own enumerable properties; strings with lone surrogates are not
 * valid UTF-8, and each surrogate comes back as U+FFFD characters. Instances
 * of typed-array subclasses other than `Buffer` encode to bytes that fail to
 * decode.
 *
 * **Errors.** `encode` throws a `TypeError` (msgpackr's error as `cause`)
 * for functions and symbols (msgpackr alone would silently write a function
 * as `undefined`) and for cyclic values. `decode` never throws: empty input
 * is `undefined`; malformed or truncated input, bytes left over after the
 * first value, and msgpackr's record, bundled-string and structured-clone
 * extensions are errors. Accepted input may hold any of the types listed
 * above, so handlers must still validate their arguments. Strings are
 * decoded leniently: invalid UTF-8 becomes U+FFFD.
 */
export function createMsgpackCodec(options: MsgpackCodecOptions = {}): Codec {
  const packr = new Packr({
    useRecords: false,
    mapsAsObjects: true,
    variableMapSize: true,
    structuredClone: false,
    moreTypes: true,
    copyBuffers: options.copyBinary ?? true,
    writeFunction: () => {
      throw new TypeError('functions cannot be encoded');
    },
  });

  return {
    name: 'msgpack',
    encode(value: unknown): Uint8Array {
      if (value === undefined) return new Uint8Array(0);
      try {
        return packr.pack(value);
      } catch (e) {
        throw new TypeError(`msgpack codec cannot encode this value: ${encodeFailure(e, value)}`, { cause: e });
      }
    },
    decode(bytes: Uint8Array): Result<unknown, Error> {
      if (bytes.length === 0) return ok(undefined);
      // Guards msgpackr's process-wide key cache against truncated input (see token-scan.ts).
      if (!isWholeTokenRun(bytes)) return err(new Error('malformed MessagePack: truncated token or refused extension type'));
      try {
        // A fresh plain view: msgpackr caches a DataView on its input object,
        // and binary values sliced from a plain Uint8Array are plain too.
        // msgpackr itself rejects bytes left over after the first value.
        return ok(packr.unpack(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)) as unknown);
      } catch (e) {
        return err(e instanceof Error ? e : new Error(String(e)));
      }
    },
  };
}

/** Why encoding `value` failed with `error`, in a user's terms. */
function encodeFailure(error: unknown, value: unknown): string {
  if (!(error instanceof RangeError)) return error instanceof Error ? error.message : String(error);
  // msgpackr recurses: a cycle or very deep nesting overflows the stack.
  const circular = findCircularPath(value);
  if (circular !== undefined) return `it has a circular reference at ${circular}`;
  return /call stack/i.test(error.message) ? 'it is nested too deeply' : error.message;
}

/** The default MessagePack codec: {@link createMsgpackCodec} with default options. */
export const msgpackCodec: Codec = createMsgpackCodec();
