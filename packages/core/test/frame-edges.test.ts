// Edges of the wire codecs (frame.ts, request-body.ts, batch.ts) that the
// round-trip properties do not reach (found by mutation testing, `npm run
// mutation`): BATCH framing byte by byte and its
// limits (protocol.md §3.4), a fragment index one past the last, and the
// method-name cache of the request decoder, which must never answer with a
// name other than the bytes say.
import { describe, expect, it } from 'vitest';
import { FrameType, HEADER_BYTES, type FrameHeader } from '../src/wire/frame-header.js';
import { encodeFrame, parseFrame } from '../src/wire/frame.js';
import { encodeMethodName, encodeRequestBody, parseRequestBody } from '../src/wire/request-body.js';
import { encodeBatch, MAX_BATCH_FRAMES, splitBatch } from '../src/wire/batch.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const h = (id: number): FrameHeader => ({ type: FrameType.ACK, flags: 0, attempt: 1, session: 2, id });

describe('BATCH framing', () => {
  it('encodeBatch: a BATCH header (session 0, id 0), then a u16 length before each frame', () => {
    const a = encodeFrame(h(3), Uint8Array.of(0xaa));
    const b = encodeFrame(h(4), new Uint8Array(0));
    const batch = encodeBatch([a, b]);
    expect(batch.length).toBe(HEADER_BYTES + 2 + a.length + 2 + b.length);
    expect(hex(batch)).toBe('7572' + '01' + '0b' + '00' + '00' + '00000000' + '00000000' + '000f' + hex(a) + '000e' + hex(b));
  });

  it('splitBatch gives back each frame, as views', () => {
    const frames = [encodeFrame(h(1), Uint8Array.of(1, 2, 3)), encodeFrame(h(2), new Uint8Array(0)), encodeFrame(h(3), new Uint8Array(300))];
    const batch = encodeBatch(frames);
    const split = splitBatch(batch.subarray(HEADER_BYTES));
    expect(split.ok).toBe(true);
    if (split.ok) {
      expect(split.value.map(hex)).toEqual(frames.map(hex));
      expect(split.value[0]!.buffer).toBe(batch.buffer);
    }
  });

  const body = (...parts: number[][]): Uint8Array => Uint8Array.from(parts.flat());
  const frame14 = [...encodeFrame(h(9), new Uint8Array(0))];

  for (const [what, bytes] of [
    ['an empty body', body()],
    ['a lone byte where a length should be', body([0, 14], frame14, [0])],
    ['an entry shorter than a frame header', body([0, 13], frame14.slice(0, 13))],
    ['an entry longer than what is left', body([0, 15], frame14)],
    ['a nested batch', body([0, 14], [...encodeBatch([])])],
  ] as const) {
    it(`is malformed: ${what}`, () => expect(splitBatch(bytes)).toEqual({ ok: false, error: 'malformed' }));
  }

  it(`holds at most ${MAX_BATCH_FRAMES} frames`, () => {
    const one = encodeFrame(h(1), new Uint8Array(0));
    const full = splitBatch(encodeBatch(Array(MAX_BATCH_FRAMES).fill(one)).subarray(HEADER_BYTES));
    expect(full.ok && full.value.length).toBe(MAX_BATCH_FRAMES);
    expect(splitBatch(encodeBatch(Array(MAX_BATCH_FRAMES + 1).fill(one)).subarray(HEADER_BYTES))).toEqual({ ok: false, error: 'malformed' });
  });
});

describe('fragment extension', () => {
  const fragment = (index: number, bodyBytes: number) =>
    parseFrame(encodeFrame({ type: FrameType.RESPONSE, flags: 0, attempt: 0, session: 1, id: 1 }, new Uint8Array(bodyBytes), { totalBytes: 10, index, fragmentBytes: 5 }));

  it('the last index is count − 1; one past it is malformed even with a full-size body', () => {
    expect(fragment(1, 5)).toMatchObject({ fragment: { totalBytes: 10, index: 1, fragmentBytes: 5 } });
    expect(fragment(2, 5)).toBe('malformed');
  });
});

describe('method names', () => {
  const request = (name: string) => encodeRequestBody(1000, encodeMethodName(name), Uint8Array.of(7));
  const methodOf = (bytes: Uint8Array) => {
    const r = parseRequestBody(bytes);
    return typeof r === 'string' ? r : r.method;
  };

  it('a name that is a prefix of the previous one decodes as itself', () => {
    expect(methodOf(request('calc.addx'))).toBe('calc.addx');
    expect(methodOf(request('calc.add'))).toBe('calc.add');
    expect(methodOf(request('calc.addx'))).toBe('calc.addx');
  });

  it('a datagram buffer reused for the next request is decoded afresh', () => {
    const buf = request('calc.sub');
    expect(methodOf(buf)).toBe('calc.sub');
    buf.set(encodeMethodName('calc.mul'), 14); // same length, same place, new bytes
    expect(methodOf(buf)).toBe('calc.mul');
  });

  it('an over-long name is a RangeError that says how long it is and what the wire allows', () => {
    expect(() => encodeRequestBody(1, encodeMethodName('m'.repeat(256)), new Uint8Array(0))).toThrow(
      new RangeError('method name is 256 bytes; the wire allows 255'),
    );
  });
});
