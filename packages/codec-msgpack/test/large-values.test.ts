// Large binary values (issue 14, "large-message memory"): the encoder packs a
// value holding at least 256 KiB of Uint8Array bytes into a buffer sized for
// it, instead of msgpackr's shared buffer, which it grows by copying into one
// twice the size and which then keeps the message alive under later results.
import { describe, expect, it } from 'vitest';
import { createMsgpackCodec } from '../src/index.js';

const MiB = 1024 * 1024;
// Compared as Buffers: toEqual walks a 16 MiB typed array key by key.
const same = (a: unknown, b: Uint8Array): boolean => a instanceof Uint8Array && Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b);
const bytes = (n: number, seed: number): Uint8Array => {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed) & 0xff;
  return b;
};

describe('msgpack codec, large binary values', () => {
  it('a 16 MiB Uint8Array is encoded into a buffer of its own, within 64 KiB of its size, and decodes back', () => {
    const codec = createMsgpackCodec();
    codec.encode({ warm: 'up' });
    const data = bytes(16 * MiB, 1);
    const out = codec.encode(data);
    expect(out.byteLength).toBe(16 * MiB + 5); // bin 32: 1 type byte, 4 length bytes
    expect(out.byteOffset).toBe(0);
    expect(out.buffer.byteLength).toBe(16 * MiB + 64 * 1024);
    const back = codec.decode(out);
    expect(back.ok && same(back.value, data)).toBe(true);
  });

  it('nested in an object, with other fields: the same, and the size is a lower bound only (msgpackr grows past it when needed)', () => {
    const codec = createMsgpackCodec();
    const value = { tag: 7, name: 'x'.repeat(100_000), data: bytes(300_000, 2), more: [bytes(1000, 3)] };
    const out = codec.encode(value);
    // 301,000 binary bytes + 64 KiB of room were too little for the 100 kB string: msgpackr grew the buffer.
    expect(out.byteLength).toBeGreaterThan(301_000 + 64 * 1024);
    const back = codec.decode(out);
    if (!back.ok) throw back.error;
    const v = back.value as typeof value;
    expect([v.tag, v.name, same(v.data, value.data), same(v.more[0], value.more[0]!)]).toEqual([7, value.name, true, true]);
  });

  it('later small results are not views into a large one (which would keep it alive)', () => {
    const codec = createMsgpackCodec();
    const large = codec.encode(bytes(2 * MiB, 4));
    const small = codec.encode({ a: 1 });
    expect(small.buffer === large.buffer).toBe(false); // booleans: a failure message must not print 2 MiB
    expect(small.buffer.byteLength).toBe(8192);
    // And the large result is untouched by the small encode.
    const back = codec.decode(large);
    expect(back.ok && same(back.value, bytes(2 * MiB, 4))).toBe(true);
  });

  it('below 256 KiB of binary, msgpackr’s shared buffer is used as before (no allocation per call)', () => {
    const codec = createMsgpackCodec();
    const a = codec.encode(bytes(1000, 5));
    const b = codec.encode(bytes(1000, 6));
    expect(a.buffer === b.buffer).toBe(true);
  });
});
