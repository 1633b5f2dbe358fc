// The reassembly table's caps and life cycle (recovery/reassembly-table.ts,
// reassembly-limits.ts; protocol.md §7.4): what a message is charged
// (800 + one per fragment + its size), each refusal at its exact boundary,
// duplicates acknowledged only on request, a mismatched fragment, a sender
// starting over in smaller fragments, the idle timeout and discard.
import { describe, expect, it } from 'vitest';
import { defaultReassemblyLimits, MAX_FRAGMENTS, maxReassemblyCostOf, reassemblyCostOf, type ReassemblyLimits } from '../src/recovery/reassembly-limits.js';
import { ReassemblyTable } from '../src/recovery/reassembly-table.js';

const TYPE = 1;
const frag = (totalBytes: number, index: number, fragmentBytes = 10) => ({ totalBytes, index, fragmentBytes });
const body = (totalBytes: number, index: number, fragmentBytes = 10) => new Uint8Array(Math.min(fragmentBytes, totalBytes - index * fragmentBytes)).fill(index + 1);
const table = (limits: Partial<ReassemblyLimits> = {}) => new ReassemblyTable({ ...defaultReassemblyLimits, ...limits });

describe('limits', () => {
  it('defaults and the charge of a message', () => {
    expect(defaultReassemblyLimits).toEqual({ maxMessageBytes: 16 * 1024 * 1024, maxPeerBytes: 33 * 1024 * 1024, maxPeerMessages: 16, maxTotalBytes: 129 * 1024 * 1024, idleTimeoutMs: 10_000 });
    expect([reassemblyCostOf(100, 10), reassemblyCostOf(101, 10), maxReassemblyCostOf(100), maxReassemblyCostOf(100_000), MAX_FRAGMENTS]).toEqual([
      800 + 10 + 100,
      800 + 11 + 101,
      800 + 100 + 100,
      800 + 65_536 + 100_000,
      65_536,
    ]);
  });
});

describe('ReassemblyTable', () => {
  it('charges the message when its first fragment arrives; completes in any order; frees the charge', () => {
    const t = table();
    const r0 = t.offer('k', 'p', TYPE, frag(25, 2), body(25, 2), false, 0);
    expect(r0).toMatchObject({ status: 'added', ackNow: true }); // a gap before it: acknowledged at once
    expect([t.bytes, t.size]).toEqual([800 + 3 + 25, 1]);
    t.offer('k', 'p', TYPE, frag(25, 0), body(25, 0), false, 1);
    const done = t.offer('k', 'p', TYPE, frag(25, 1), body(25, 1), false, 2);
    expect(done.status).toBe('complete');
    expect(done.status === 'complete' && [...done.body]).toEqual([...new Array(10).fill(1), ...new Array(10).fill(2), ...new Array(5).fill(3)]);
    expect([t.bytes, t.size, t.nextTimerAt()]).toEqual([0, 0, undefined]);
  });

  it('a message above maxMessageBytes is refused; exactly at it is taken', () => {
    const t = table({ maxMessageBytes: 100 });
    expect(t.offer('a', 'p', TYPE, frag(101, 0), body(101, 0), false, 0)).toEqual({ status: 'refused', reason: 'message-too-large', totalBytes: 101 });
    expect(t.offer('b', 'p', TYPE, frag(100, 0), body(100, 0), false, 0).status).toBe('added');
  });

  it('maxPeerMessages per peer; another peer has its own', () => {
    const t = table({ maxPeerMessages: 2 });
    expect(['a', 'b', 'c'].map((k) => t.offer(k, 'p', TYPE, frag(30, 0), body(30, 0), false, 0).status)).toEqual(['added', 'added', 'refused']);
    expect(t.offer('d', 'q', TYPE, frag(30, 0), body(30, 0), false, 0).status).toBe('added');
    expect(t.offer('c', 'p', TYPE, frag(30, 0), body(30, 0), false, 0)).toEqual({ status: 'refused', reason: 'peer-limit', totalBytes: 30 });
    t.discard('a');
    expect(t.offer('c', 'p', TYPE, frag(30, 0), body(30, 0), false, 0).status).toBe('added');
    // b and c still count: a third is refused, whatever was discarded before.
    expect(t.offer('e', 'p', TYPE, frag(30, 0), body(30, 0), false, 0).status).toBe('refused');
  });

  it('maxPeerBytes and maxTotalBytes: a message whose charge would pass either is refused; exactly reaching it is taken', () => {
    const cost = reassemblyCostOf(30, 10); // 833
    const p = table({ maxPeerBytes: 2 * cost });
    expect(['a', 'b'].map((k) => p.offer(k, 'p', TYPE, frag(30, 0), body(30, 0), false, 0).status)).toEqual(['added', 'added']);
    expect(p.offer('c', 'p', TYPE, frag(30, 0), body(30, 0), false, 0)).toEqual({ status: 'refused', reason: 'peer-limit', totalBytes: 30 });
    expect(p.bytes).toBe(2 * cost);
    // A message that goes gives its bytes back to its peer's account.
    p.discard('a');
    expect(p.offer('c', 'p', TYPE, frag(30, 0), body(30, 0), false, 0).status).toBe('added');
    expect(p.offer('d', 'p', TYPE, frag(30, 0), body(30, 0), false, 0).status).toBe('refused');
    const q = table({ maxTotalBytes: 2 * cost });
    expect(q.offer('a', 'p', TYPE, frag(30, 0), body(30, 0), false, 0).status).toBe('added');
    expect(q.offer('b', 'q', TYPE, frag(30, 0), body(30, 0), false, 0).status).toBe('added');
    expect(q.offer('c', 'r', TYPE, frag(30, 0), body(30, 0), false, 0)).toEqual({ status: 'refused', reason: 'total-limit', totalBytes: 30 });
  });

  it('a duplicate is acknowledged only when its sender asks', () => {
    const t = table();
    t.offer('k', 'p', TYPE, frag(30, 0), body(30, 0), false, 0);
    expect(t.offer('k', 'p', TYPE, frag(30, 0), body(30, 0), false, 1)).toMatchObject({ status: 'duplicate', ackNow: false });
    expect(t.offer('k', 'p', TYPE, frag(30, 0), body(30, 0), true, 1)).toMatchObject({ status: 'duplicate', ackNow: true });
  });

  it('a fragment of another shape is a mismatch; one in smaller fragments starts the message over', () => {
    const t = table();
    t.offer('k', 'p', TYPE, frag(30, 0), body(30, 0), false, 0);
    expect(t.offer('k', 'p', TYPE, frag(31, 1), body(31, 1), false, 1)).toEqual({ status: 'mismatch' });
    expect(t.offer('k', 'p', 2, frag(30, 1), body(30, 1), false, 1)).toEqual({ status: 'mismatch' });
    expect(t.offer('k', 'p', TYPE, frag(30, 0, 5), body(30, 0, 5), false, 2).status).toBe('added');
    expect([t.restarted, t.size, t.bytes]).toEqual([1, 1, reassemblyCostOf(30, 5)]);
  });

  it('more than 65 536 fragments is a mismatch, whatever the caps', () => {
    const t = table({ maxMessageBytes: 1e9 });
    expect(t.offer('k', 'p', TYPE, frag(65_537, 0, 1), new Uint8Array(1), false, 0)).toEqual({ status: 'mismatch' });
    expect(t.offer('k', 'p', TYPE, frag(65_536, 0, 1), new Uint8Array(1), false, 0).status).toBe('added');
  });

  it('idle for idleTimeoutMs after its last new fragment: expired, counted, its charge freed', () => {
    const t = table({ idleTimeoutMs: 100 });
    t.offer('k', 'p', TYPE, frag(30, 0), body(30, 0), false, 0);
    t.offer('k', 'p', TYPE, frag(30, 1), body(30, 1), false, 50);
    t.offer('k', 'p', TYPE, frag(30, 1), body(30, 1), false, 90); // a duplicate does not extend it
    expect(t.nextTimerAt()).toBe(150);
    expect(t.expire(149)).toEqual([]);
    const gone = t.expire(150);
    expect([gone.map((r) => r.key), t.expired, t.bytes, t.size]).toEqual([['k'], 1, 0, 0]);
    expect(t.offer('k2', 'p', TYPE, frag(30, 0), body(30, 0), false, 200).status).toBe('added');
  });

  it('discard frees the charge of that message only; an unknown key is ignored', () => {
    const t = table();
    t.offer('a', 'p', TYPE, frag(30, 0), body(30, 0), false, 0);
    t.offer('b', 'p', TYPE, frag(20, 0), body(20, 0), false, 0);
    t.discard('zz');
    t.discard('a');
    expect([t.size, t.bytes, t.get('a'), t.get('b')?.key]).toEqual([1, reassemblyCostOf(20, 10), undefined, 'b']);
  });
});
