// The ReassemblyTable's rules besides completion (protocol.md §7.4): what an
// ack reports (cumulative count, at most 64 ranges), when one goes out at
// once, duplicates and mismatched shapes, the caps (message size, messages
// per peer, bytes per peer and overall) and the idle timeout. Byte figures
// here have wide margins: the exact per-message accounting is not pinned.
import { describe, expect, it } from 'vitest';
import { FrameType } from '../src/frame.js';
import { defaultReassemblyLimits, MAX_FRAGMENTS, ReassemblyTable, type FragmentResult } from '../src/reassembly.js';

const T = FrameType.REQUEST;
const ONE = new Uint8Array(1);

/** Offers 1-byte fragment `index` of a `count`-byte message `key` from `peer`. */
function offer(table: ReassemblyTable, index: number, options: { count?: number; key?: string; peer?: string; ack?: boolean; now?: number } = {}): FragmentResult {
  const count = options.count ?? 100;
  return table.offer(options.key ?? 'm', options.peer ?? 'p', T, { totalBytes: count, index, fragmentBytes: 1 }, ONE, options.ack ?? false, options.now ?? 0);
}

const ackNow = (r: FragmentResult): boolean | undefined => (r.status === 'added' || r.status === 'duplicate' ? r.ackNow : undefined);

describe('what an ack reports', () => {
  it('the cumulative count and the ranges above it, half-open, in order', () => {
    const table = new ReassemblyTable(defaultReassemblyLimits);
    for (const i of [0, 1, 3, 4, 7]) offer(table, i, { count: 10 });
    expect(table.get('m')!.ack()).toEqual({ ackedType: T, cumulative: 2, ranges: [[3, 5], [7, 8]] });
    offer(table, 2, { count: 10 });
    expect(table.get('m')!.ack()).toEqual({ ackedType: T, cumulative: 5, ranges: [[7, 8]] });
  });

  it('at most 64 ranges, the lowest ones', () => {
    const table = new ReassemblyTable(defaultReassemblyLimits);
    for (let i = 1; i <= 200; i += 2) offer(table, i, { count: 300 });
    const ack = table.get('m')!.ack();
    expect(ack.cumulative).toBe(0);
    expect(ack.ranges).toHaveLength(64);
    expect(ack.ranges[0]).toEqual([1, 2]);
    expect(ack.ranges[63]).toEqual([127, 128]);
  });

  it('hasGaps: only when a fragment below the highest one received is missing', () => {
    const table = new ReassemblyTable(defaultReassemblyLimits);
    const gaps = (i: number): boolean => (offer(table, i, { count: 10 }), table.get('m')!.hasGaps);
    expect([0, 1].map(gaps)).toEqual([false, false]);
    expect(gaps(3)).toBe(true); // 2 missing
    expect(gaps(5)).toBe(true); // 2 and 4 missing
    expect(gaps(2)).toBe(true); // 4 missing
    expect(gaps(4)).toBe(false);
  });
});

describe('when an ack goes out at once', () => {
  it('every 8th new fragment in order, then the count starts over', () => {
    const table = new ReassemblyTable(defaultReassemblyLimits);
    const acks = [...Array(17).keys()].map((i) => ackNow(offer(table, i)));
    expect(acks.flatMap((a, i) => (a ? [i] : []))).toEqual([7, 15]);
  });

  it('on a gap (a fragment beyond the next one) and on a fill-in below the highest', () => {
    const table = new ReassemblyTable(defaultReassemblyLimits);
    expect(ackNow(offer(table, 0))).toBe(false);
    expect(ackNow(offer(table, 2))).toBe(true); // 1 skipped
    expect(ackNow(offer(table, 3))).toBe(false);
    expect(ackNow(offer(table, 1))).toBe(true); // below the highest (3)
  });

  it('when the sender asks (and the count starts over)', () => {
    const table = new ReassemblyTable(defaultReassemblyLimits);
    for (let i = 0; i < 5; i++) offer(table, i);
    expect(ackNow(offer(table, 5, { ack: true }))).toBe(true);
    const next = [6, 7, 8, 9, 10, 11, 12, 13].map((i) => ackNow(offer(table, i)));
    expect(next).toEqual([false, false, false, false, false, false, false, true]);
  });

  it('a duplicate is acknowledged only when its sender asks', () => {
    const table = new ReassemblyTable(defaultReassemblyLimits);
    offer(table, 0);
    expect(offer(table, 0)).toMatchObject({ status: 'duplicate', ackNow: false });
    expect(offer(table, 0, { ack: true })).toMatchObject({ status: 'duplicate', ackNow: true });
  });
});

describe('shapes', () => {
  it('a fragment of the same message with another total, fragment size or type is a mismatch, and changes nothing', () => {
    const table = new ReassemblyTable(defaultReassemblyLimits);
    offer(table, 0, { count: 10 });
    const before = { size: table.size, bytes: table.bytes };
    expect(table.offer('m', 'p', T, { totalBytes: 11, index: 1, fragmentBytes: 1 }, ONE, false, 0)).toEqual({ status: 'mismatch' });
    expect(table.offer('m', 'p', T, { totalBytes: 10, index: 1, fragmentBytes: 2 }, new Uint8Array(2), false, 0)).toEqual({ status: 'mismatch' });
    expect(table.offer('m', 'p', FrameType.RESPONSE, { totalBytes: 10, index: 1, fragmentBytes: 1 }, ONE, false, 0)).toEqual({ status: 'mismatch' });
    expect({ size: table.size, bytes: table.bytes }).toEqual(before);
    expect(table.get('m')!.has(1)).toBe(false);
  });

  it(`a new message of more than ${MAX_FRAGMENTS} fragments is a mismatch; exactly ${MAX_FRAGMENTS} is fine`, () => {
    const table = new ReassemblyTable(defaultReassemblyLimits);
    expect(offer(table, 0, { count: MAX_FRAGMENTS + 1, key: 'big' })).toEqual({ status: 'mismatch' });
    expect(table.size).toBe(0);
    expect(offer(table, 0, { count: MAX_FRAGMENTS, key: 'ok' }).status).toBe('added');
  });
});

describe('caps', () => {
  it('a message above maxMessageBytes is refused as too large; one of exactly maxMessageBytes is not', () => {
    const table = new ReassemblyTable({ ...defaultReassemblyLimits, maxMessageBytes: 50 });
    expect(offer(table, 0, { count: 51 })).toEqual({ status: 'refused', reason: 'message-too-large', totalBytes: 51 });
    expect(table.size).toBe(0);
    expect(offer(table, 0, { count: 50 }).status).toBe('added');
  });

  it('maxPeerMessages unfinished messages per peer; other peers are not affected; a finished one frees its slot', () => {
    const table = new ReassemblyTable({ ...defaultReassemblyLimits, maxPeerMessages: 2 });
    expect(offer(table, 0, { key: 'a', count: 2 }).status).toBe('added');
    expect(offer(table, 0, { key: 'b' }).status).toBe('added');
    expect(offer(table, 0, { key: 'c' })).toEqual({ status: 'refused', reason: 'peer-limit', totalBytes: 100 });
    expect(offer(table, 0, { key: 'd', peer: 'q' }).status).toBe('added');
    expect(offer(table, 1, { key: 'a', count: 2 }).status).toBe('complete');
    expect(offer(table, 0, { key: 'c' }).status).toBe('added');
  });

  it('bytes per peer: a message that cannot afford its first fragment is refused and leaves nothing behind', () => {
    const table = new ReassemblyTable({ ...defaultReassemblyLimits, maxPeerBytes: 100 });
    const r = table.offer('m', 'p', T, { totalBytes: 4000, index: 0, fragmentBytes: 1000 }, new Uint8Array(1000), false, 0);
    expect(r).toEqual({ status: 'refused', reason: 'peer-limit', totalBytes: 4000 });
    expect({ size: table.size, bytes: table.bytes, next: table.nextTimerAt() }).toEqual({ size: 0, bytes: 0, next: undefined });
  });

  it('bytes overall: refused as total-limit when the peer would still have room', () => {
    const table = new ReassemblyTable({ ...defaultReassemblyLimits, maxTotalBytes: 100 });
    const r = table.offer('m', 'p', T, { totalBytes: 4000, index: 0, fragmentBytes: 1000 }, new Uint8Array(1000), false, 0);
    expect(r).toEqual({ status: 'refused', reason: 'total-limit', totalBytes: 4000 });
    expect(table.size).toBe(0);
  });

  it('a later fragment over the cap is refused, and the message keeps what it had', () => {
    const table = new ReassemblyTable({ ...defaultReassemblyLimits, maxPeerBytes: 3000 });
    const frag = (i: number) => table.offer('m', 'p', T, { totalBytes: 4000, index: i, fragmentBytes: 1000 }, new Uint8Array(1000), false, 0);
    expect(frag(0).status).toBe('added');
    const held = table.bytes;
    expect(held).toBeGreaterThan(1000);
    expect(frag(1).status).toBe('added');
    expect(frag(2)).toEqual({ status: 'refused', reason: 'peer-limit', totalBytes: 4000 });
    expect(table.get('m')!.has(2)).toBe(false);
    expect(table.size).toBe(1);
  });

  it('every byte charged is given back: on completion, discard and expiry', () => {
    const table = new ReassemblyTable(defaultReassemblyLimits);
    offer(table, 0, { key: 'a', count: 2 });
    offer(table, 0, { key: 'b' });
    offer(table, 0, { key: 'c', peer: 'q' });
    expect(table.bytes).toBeGreaterThan(0);
    offer(table, 1, { key: 'a', count: 2 });
    table.discard('b');
    table.discard('unknown');
    expect(table.size).toBe(1);
    table.expire(Infinity);
    expect({ size: table.size, bytes: table.bytes }).toEqual({ size: 0, bytes: 0 });
  });
});

describe('idle timeout', () => {
  it('an unfinished message is discarded idleTimeoutMs after its last new fragment, not before', () => {
    const table = new ReassemblyTable({ ...defaultReassemblyLimits, idleTimeoutMs: 1000 });
    offer(table, 0, { now: 0 });
    expect(table.nextTimerAt()).toBe(1000);
    offer(table, 1, { now: 500 });
    expect(table.nextTimerAt()).toBe(1500);
    offer(table, 1, { now: 900 }); // a duplicate does not extend it
    expect(table.nextTimerAt()).toBe(1500);
    expect(table.expire(1499)).toEqual([]);
    expect(table.size).toBe(1);
    const expired = table.expire(1500);
    expect(expired.map((r) => r.key)).toEqual(['m']);
    expect({ size: table.size, bytes: table.bytes, expired: table.expired, next: table.nextTimerAt() }).toEqual({ size: 0, bytes: 0, expired: 1, next: undefined });
  });

  it('a completed message leaves no timer', () => {
    const table = new ReassemblyTable({ ...defaultReassemblyLimits, idleTimeoutMs: 1000 });
    offer(table, 0, { count: 2 });
    offer(table, 1, { count: 2 });
    expect(table.nextTimerAt()).toBeUndefined();
  });
});
