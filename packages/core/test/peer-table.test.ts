// The client's table of servers (peer-table.ts): bounded by `maxPeers`; when
// full, the least recently created idle peer is forgotten to make room; a
// peer with calls in flight or queued never is; the scan for an idle one is
// bounded to 64 entries (so the table may exceed its bound then).
import { describe, expect, it } from 'vitest';
import type { LossTracked } from '../src/recovery/call-loss-detector.js';
import { PeerTable } from '../src/client/peer-table.js';
import { defaultRetryPolicy } from '../src/recovery/retry-policy.js';
import type { PeerAddress } from '../src/transport/transport.js';

/** A call type for a table whose calls are never tracked here. */
interface NoCall extends LossTracked<NoCall> {}

const addr = (n: number): PeerAddress => ({ address: `10.1.${n >> 8}.${n & 0xff}`, family: 'IPv4', port: 7000 });
const known = (t: PeerTable<NoCall>, n: number): boolean => t.get(addr(n)) !== undefined;

describe('PeerTable maxPeers', () => {
  it('holds exactly maxPeers idle peers; the next one forgets the oldest', () => {
    const t = new PeerTable<NoCall>(defaultRetryPolicy, 3);
    [1, 2, 3].forEach((n) => t.of(addr(n)));
    expect([1, 2, 3].map((n) => known(t, n))).toEqual([true, true, true]);
    t.of(addr(4));
    expect([1, 2, 3, 4].map((n) => known(t, n))).toEqual([false, true, true, true]);
    t.of(addr(5));
    expect([1, 2, 3, 4, 5].map((n) => known(t, n))).toEqual([false, false, true, true, true]);
  });

  it('a peer asked for again is the same state object (its RTT estimate is kept)', () => {
    const t = new PeerTable<NoCall>(defaultRetryPolicy, 3);
    const a = t.of(addr(1));
    a.rtt.sample(12);
    expect(t.of({ ...addr(1) })).toBe(a);
    expect(t.of(addr(1)).rtt.srttMs).toBe(12);
  });

  it('a peer with calls in flight or queued is never forgotten: the oldest idle one goes instead', () => {
    const t = new PeerTable<NoCall>(defaultRetryPolicy, 3);
    t.of(addr(1)).inFlight = 1;
    t.of(addr(2)).enqueue({ lossSeq: 0, laterAnswered: 0, lossPrev: undefined, lossNext: undefined });
    t.of(addr(3));
    t.of(addr(4));
    expect([1, 2, 3, 4].map((n) => known(t, n))).toEqual([true, true, false, true]);
  });

  it('when every peer is busy, the table grows past maxPeers rather than forget one', () => {
    const t = new PeerTable<NoCall>(defaultRetryPolicy, 2);
    t.of(addr(1)).inFlight = 1;
    t.of(addr(2)).inFlight = 1;
    t.of(addr(3)).inFlight = 1;
    expect([1, 2, 3].map((n) => known(t, n))).toEqual([true, true, true]);
    // Once 1 is idle again, the next new peer makes room by forgetting it.
    t.of(addr(1)).inFlight = 0;
    t.of(addr(4));
    expect([1, 2, 3, 4].map((n) => known(t, n))).toEqual([false, true, true, true]);
  });

  it('the scan for an idle peer stops after 64 entries', () => {
    const t = new PeerTable<NoCall>(defaultRetryPolicy, 65);
    for (let n = 0; n < 64; n++) t.of(addr(n)).inFlight = 1;
    t.of(addr(64)); // idle, 65th entry
    t.of(addr(65)); // full: the 64 busy ones are scanned, the idle 65th is not reached
    expect(known(t, 64)).toBe(true);
    expect(known(t, 65)).toBe(true);
    t.of(addr(3)).inFlight = 0;
    t.of(addr(66)); // now an idle peer is within the first 64
    expect(known(t, 3)).toBe(false);
    expect(known(t, 64)).toBe(true);
  });
});
