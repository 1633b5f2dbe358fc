// A circular or absurdly deep value fails to encode with a TypeError that says
// so (msgpackr recurses and would report only a stack overflow); the codec
// stays usable afterwards, and a client call rejects with INVALID_ARGUMENT.
import { createClient, defineContract, method, RpcError } from 'udprpc';
import { describe, expect, it } from 'vitest';
import { msgpackCodec } from '../src/index.js';
import { findCircularPath } from '../src/circular.js';

function circular(): Record<string, unknown> {
  const root: Record<string, unknown> = { id: 1, items: [{ name: 'a' }, { name: 'b' }] };
  ((root.items as object[])[1] as Record<string, unknown>).parent = root;
  return root;
}

function deep(levels: number): unknown {
  let v: unknown = 0;
  for (let i = 0; i < levels; i++) v = [v];
  return v;
}

describe('findCircularPath', () => {
  it('names the reference that closes a cycle', () => {
    expect(findCircularPath(circular())).toBe('$.items[1].parent');
    const self: Record<string, unknown> = {};
    self['a key'] = self;
    expect(findCircularPath(self)).toBe('$["a key"]');
    const m = new Map<string, unknown>();
    m.set('k', [m]);
    expect(findCircularPath({ m })).toBe('$.m.get("k")[0]');
  });

  it('finds none in acyclic values, shared references included', () => {
    const shared = { x: 1 };
    expect(findCircularPath({ a: shared, b: [shared, shared], c: new Uint8Array(3), d: new Date(0) })).toBeUndefined();
    expect(findCircularPath(deep(200_000))).toBeUndefined(); // iterative: no stack overflow of its own
    expect(findCircularPath(42)).toBeUndefined();
  });
});

describe('msgpack codec on circular and deep values', () => {
  it('throws a TypeError naming the circular reference', () => {
    expect(() => msgpackCodec.encode(circular())).toThrowError(
      new TypeError('msgpack codec cannot encode this value: it has a circular reference at $.items[1].parent'),
    );
  });

  it('throws a TypeError for nesting too deep to encode', () => {
    expect(() => msgpackCodec.encode(deep(200_000))).toThrowError(new TypeError('msgpack codec cannot encode this value: it nests arrays and maps more than 512 levels deep'));
  });

  it('still encodes and decodes afterwards', () => {
    expect(() => msgpackCodec.encode(circular())).toThrow(TypeError);
    const value = { a: [1, 'two', { three: 3 }] };
    expect(msgpackCodec.decode(msgpackCodec.encode(value))).toEqual({ ok: true, value });
  });

  it('a call with a circular input rejects with INVALID_ARGUMENT before anything is sent', async () => {
    const echo = defineContract('echo', { echo: method<unknown, unknown>() });
    // Nothing listens on port 9: the call must fail locally, not time out.
    const client = createClient({ url: 'udp://127.0.0.1:9', timeoutMs: 2000 });
    try {
      const error = await client.stub(echo).echo(circular()).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(RpcError.is(error)).toBe(true);
      expect((error as RpcError).code).toBe('INVALID_ARGUMENT');
      expect((error as RpcError).message).toBe(
        'could not encode the request: msgpack codec cannot encode this value: it has a circular reference at $.items[1].parent',
      );
      expect(client.stats().calls).toBe(0);
    } finally {
      await client.close();
    }
  });
});
