import { err, ok, type Result } from './result.js';

/**
 * Turns call arguments and results into bytes and back. Each payload travels
 * in one message and must decode on its own (no state shared across calls).
 * `encode` may throw for values it cannot represent; `decode` never throws.
 */
export interface Codec {
  /** A short name, e.g. `'msgpack'`, for logs and introspection. */
  readonly name: string;
  /** Encodes a value; throws a TypeError for a value it cannot encode. */
  encode(value: unknown): Uint8Array;
  /** Decodes bytes; never throws (bad bytes give an error result). */
  decode(bytes: Uint8Array): Result<unknown, Error>;
}

const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder('utf-8', { fatal: true });

/**
 * JSON codec: dependency-free and readable in packet captures; the second
 * codec every test runs with. `undefined` encodes as an empty payload.
 */
export const jsonCodec: Codec = {
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
