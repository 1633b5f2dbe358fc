// FRAGMENT_ACK bodies (protocol.md §5.5), byte by byte: u8 acked type, u32
// cumulative, u16 range count N, N × (u32 start, u32 end), big-endian.
// Ranges are half-open, ascending, disjoint and above `cumulative`; the
// decoder never throws and names what is wrong.
import { describe, expect, it } from 'vitest';
import { decodeFragmentAck, encodeFragmentAck, maxAckRanges, type FragmentAck } from '../src/wire/fragment-ack.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

describe('maxAckRanges: 7 fixed bytes, then 8 per range', () => {
  for (const [bytes, ranges] of [
    [0, 0],
    [6, 0],
    [7, 0],
    [14, 0],
    [15, 1],
    [22, 1],
    [23, 2],
    [1186, 147], // a 1200-byte datagram less the 14-byte header
  ] as const) {
    it(`${bytes} body bytes hold ${ranges} range(s)`, () => expect(maxAckRanges(bytes)).toBe(ranges));
  }
});

describe('encodeFragmentAck', () => {
  const ack: FragmentAck = { ackedType: 2, cumulative: 0x01020304, ranges: [[0x01020305, 0x01020307], [0x0a0b0c0d, 0xfffffffe]] };

  it('writes every field big-endian, in order', () => {
    expect(hex(encodeFragmentAck(ack, 1000))).toBe(
      '02' + '01020304' + '0002' + '01020305' + '01020307' + '0a0b0c0d' + 'fffffffe',
    );
  });

  it('with no ranges it is the 7 fixed bytes', () => {
    expect(hex(encodeFragmentAck({ ackedType: 1, cumulative: 9, ranges: [] }, 1000))).toBe('01' + '00000009' + '0000');
  });

  it('leaves out the ranges that do not fit, and counts only those it wrote', () => {
    expect(hex(encodeFragmentAck(ack, 22))).toBe('02' + '01020304' + '0001' + '01020305' + '01020307');
    expect(hex(encodeFragmentAck(ack, 14))).toBe('02' + '01020304' + '0000');
  });

  it('writes at most 65,535 ranges (the u16 count)', () => {
    const many: FragmentAck = { ackedType: 1, cumulative: 0, ranges: Array.from({ length: 70_000 }, (_, i): [number, number] => [2 * i + 1, 2 * i + 2]) };
    const body = encodeFragmentAck(many, 10_000_000);
    expect(body.length).toBe(7 + 65_535 * 8);
    expect(hex(body.subarray(5, 7))).toBe('ffff');
    const decoded = decodeFragmentAck(body);
    expect(decoded.ok && decoded.value.ranges.length).toBe(65_535);
    expect(decoded.ok && decoded.value.ranges[65_534]).toEqual([131_069, 131_070]);
  });
});

describe('decodeFragmentAck', () => {
  it('round-trips', () => {
    const ack: FragmentAck = { ackedType: 3, cumulative: 4, ranges: [[4, 5], [5, 9], [100, 0xffffffff]] };
    expect(decodeFragmentAck(encodeFragmentAck(ack, 1000))).toEqual({ ok: true, value: ack });
  });

  it('reads the acked type, cumulative and each range from their offsets', () => {
    const body = Uint8Array.from(Buffer.from('08' + 'a0b0c0d0' + '0001' + 'a0b0c0d1' + 'a0b0c0d3', 'hex'));
    expect(decodeFragmentAck(body)).toEqual({ ok: true, value: { ackedType: 8, cumulative: 0xa0b0c0d0, ranges: [[0xa0b0c0d1, 0xa0b0c0d3]] } });
  });

  it('is truncated below 7 bytes, and when the count promises more ranges than there are bytes', () => {
    expect(decodeFragmentAck(new Uint8Array(6))).toEqual({ ok: false, error: 'truncated' });
    expect(decodeFragmentAck(new Uint8Array(7))).toEqual({ ok: true, value: { ackedType: 0, cumulative: 0, ranges: [] } });
    const one = Uint8Array.from(Buffer.from('01' + '00000000' + '0001' + '00000001' + '00000002', 'hex'));
    expect(decodeFragmentAck(one.subarray(0, 14))).toEqual({ ok: false, error: 'truncated' });
    expect(decodeFragmentAck(one)).toEqual({ ok: true, value: { ackedType: 1, cumulative: 0, ranges: [[1, 2]] } });
    // Extra bytes after the last range are ignored.
    expect(decodeFragmentAck(Uint8Array.from([...one, 0xff]))).toEqual({ ok: true, value: { ackedType: 1, cumulative: 0, ranges: [[1, 2]] } });
  });

  const malformed = (cumulative: number, ranges: Array<[number, number]>): Uint8Array => {
    const body = new Uint8Array(7 + 8 * ranges.length);
    const view = new DataView(body.buffer);
    body[0] = 1;
    view.setUint32(1, cumulative);
    view.setUint16(5, ranges.length);
    ranges.forEach(([s, e], i) => {
      view.setUint32(7 + 8 * i, s);
      view.setUint32(11 + 8 * i, e);
    });
    return body;
  };

  for (const [what, cumulative, ranges, result] of [
    ['a range starting at cumulative', 5, [[5, 6]], 'ok'],
    ['a range starting below cumulative', 5, [[4, 6]], 'malformed'],
    ['an empty range (end = start)', 0, [[3, 3]], 'malformed'],
    ['a reversed range', 0, [[4, 3]], 'malformed'],
    ['adjacent ranges', 0, [[1, 3], [3, 4]], 'ok'],
    ['overlapping ranges', 0, [[1, 3], [2, 4]], 'malformed'],
    ['ranges out of order', 0, [[5, 6], [1, 2]], 'malformed'],
  ] as const) {
    it(`${what}: ${result}`, () => {
      const decoded = decodeFragmentAck(malformed(cumulative, ranges.map(([s, e]) => [s, e])));
      if (result === 'ok') expect(decoded).toEqual({ ok: true, value: { ackedType: 1, cumulative, ranges } });
      else expect(decoded).toEqual({ ok: false, error: 'malformed' });
    });
  }
});
