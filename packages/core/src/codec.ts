import { err, ok, type Result } from './wire/result.js';
import { checkFunction, checkObject, describeValue } from './options-check.js';

/**
 * Turns call arguments and results into bytes and back. Each payload travels
 * in one message and must decode on its own (no state shared across calls).
 * `encode` may throw for values it cannot represent; `decode` never throws.
 */
export interface Codec {
  /**
   * The codec id sent in every REQUEST (protocol.md §5.7): 1 is the udprpc
   * MessagePack profile, 2 JSON, 128–255 are for private codecs agreed
   * between the peers. 0 is never valid. A server refuses a request whose id
   * is not its codec's with UNIMPLEMENTED, so a client and a server with
   * different codecs fail loudly instead of misreading each other's bytes.
   */
  readonly id: number;
  /** A short name, e.g. `'msgpack'`, for logs and introspection. */
  readonly name: string;
  /** Encodes a value; throws a TypeError for a value it cannot encode. */
  encode(value: unknown): Uint8Array;
  /** Decodes bytes; never throws (bad bytes give an error result). */
  decode(bytes: Uint8Array): Result<unknown, Error>;
}

/** Codec ids registered in protocol.md §5.7. */
export const CodecId = {
  /** The udprpc MessagePack profile (protocol.md §5.7.1). */
  MSGPACK: 1,
  /** JSON text in UTF-8 (protocol.md §5.7.2). */
  JSON: 2,
} as const;

/** Lowest codec id for private codecs (128–255, protocol.md §5.7). */
export const FIRST_PRIVATE_CODEC_ID = 128;

/** The name of a registered codec id, for error messages; `codec <n>` otherwise. */
export function codecIdName(id: number): string {
  if (id === CodecId.MSGPACK) return 'msgpack';
  if (id === CodecId.JSON) return 'json';
  if (id === 0) return 'none (0)';
  return id >= FIRST_PRIVATE_CODEC_ID ? `private codec ${id}` : `unregistered codec ${id}`;
}

/**
 * Returns `codec` if it is a codec whose id can go on the wire: a TypeError
 * if it is not an object with `encode` and `decode` functions and a numeric
 * id, a RangeError if the id is not an integer from 1 to 255 (protocol.md §5.7).
 */
export function checkCodec<C extends Codec>(codec: C, name = 'options.codec'): C {
  checkObject(codec, name);
  checkFunction(codec.encode, `${name}.encode`);
  checkFunction(codec.decode, `${name}.decode`);
  const id: unknown = codec.id;
  if (typeof id !== 'number') throw new TypeError(`${name}.id must be a number, got ${describeValue(id)} (codec ${String(codec.name)})`);
  if (!Number.isInteger(id) || id < 1 || id > 255) {
    throw new RangeError(`${name}.id must be an integer from 1 to 255 (protocol.md §5.7), got ${String(id)} (codec ${String(codec.name)})`);
  }
  return codec;
}

const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder('utf-8', { fatal: true });

/**
 * JSON codec: dependency-free and readable in packet captures; the second
 * codec every test runs with. `undefined` encodes as an empty payload.
 * Codec id 2 (protocol.md §5.7.2).
 */
export const jsonCodec: Codec = {
  id: CodecId.JSON,
  name: 'json',
  encode(value: unknown): Uint8Array {
    if (value === undefined) return new Uint8Array(0);
    return textEncoder.encode(JSON.stringify(value));
  },
  decode(bytes: Uint8Array): Result<unknown, Error> {
    if (bytes.length === 0) return ok(undefined);
    try {
      return ok(JSON.parse(textDecoder.decode(bytes)) as unknown);
    } catch (e) {
      return err(e instanceof Error ? e : new Error(String(e)));
    }
  },
};
