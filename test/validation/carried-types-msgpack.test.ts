// The msgpack codec speaks the udprpc MessagePack profile (protocol.md §5.7.1),
// which has no format for a Set and decodes a Map with string keys as a plain
// object: so it declares nothing in CarriedTypes, and neither compiles in a
// contract of a program that includes it (through `udprpc`), while the codec
// refuses a Set at run time. Type-checked by `tsc -p tsconfig.check.json`.
import { createMsgpackCodec } from '@udprpc/codec-msgpack';
import { describe, expect, it } from 'vitest';
import { method } from 'udprpc';

describe('CarriedTypes with the msgpack codec in the program', () => {
  it('neither a Set nor a Map compiles in a contract; the codec refuses a Set', () => {
    // @ts-expect-error the profile has no format for a Set
    method<Set<string>, void>();
    // @ts-expect-error a Map with string keys decodes as a plain object
    method<Map<string, number>, void>();
    method<string[], { tags: number[] }>();
    const codec = createMsgpackCodec();
    expect(() => codec.encode(new Set(['a', 'b']))).toThrow(TypeError);
  });
});
