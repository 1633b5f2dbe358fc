// The msgpack codec declares (CarriedTypes) that it carries Set; since the
// `udprpc` package includes it, a Set compiles in a contract, a Map still
// does not. Type-checked by `tsc -p tsconfig.check.json`.
import { createMsgpackCodec } from '@udprpc/codec-msgpack';
import { describe, expect, it } from 'vitest';
import { method } from 'udprpc';

describe('CarriedTypes with the msgpack codec in the program', () => {
  it('a Set compiles (and round-trips); a Map still does not', () => {
    method<Set<string>, { tags: Set<number> }>();
    // @ts-expect-error msgpack decodes a Map as a plain object
    method<Map<string, number>, void>();
    const codec = createMsgpackCodec();
    const back = codec.decode(codec.encode(new Set(['a', 'b'])));
    expect(back.ok && back.value).toEqual(new Set(['a', 'b']));
  });
});
