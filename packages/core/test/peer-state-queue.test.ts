// A client's per-peer state (flowcontrol/peer-state.ts): the send window
// (calls in flight, the server's pushback) and the FIFO of calls waiting for
// it, with entries of calls that ended while queued skipped when reached and
// the array compacted so it stays O(calls waiting).
import { describe, expect, it } from 'vitest';
import { defaultFlowLimits, PeerState } from '../src/flowcontrol/peer-state.js';
import type { LossTracked } from '../src/recovery/call-loss-detector.js';
import { defaultRetryPolicy } from '../src/recovery/retry-policy.js';

interface Call extends LossTracked<Call> {
  readonly n: number;
  live: boolean;
}

const call = (n: number): Call => ({ n, live: true, lossSeq: 0, laterAnswered: 0, lossPrev: undefined, lossNext: undefined });
const live = (c: Call) => c.live;
const peer = () => new PeerState<Call>(defaultRetryPolicy, 'peer|1');
/** The queue's array and head (private): what it retains. */
const internals = (p: PeerState<Call>) => p as unknown as { queue: Call[]; head: number };

/** Takes every live call off the queue, in order. */
function drain(p: PeerState<Call>): number[] {
  const out: number[] = [];
  for (let c = p.peek(live); c !== undefined; c = p.peek(live)) {
    out.push(c.n);
    p.shift();
  }
  return out;
}

describe('PeerState.canSend: the window and the pushback', () => {
  const limits = { ...defaultFlowLimits, maxInFlightPerPeer: 2 };

  it('exactly maxInFlightPerPeer calls in flight, not one more', () => {
    const p = peer();
    expect(p.canSend(limits, 0)).toBe(true);
    p.inFlight = 1;
    expect(p.canSend(limits, 0)).toBe(true);
    p.inFlight = 2;
    expect(p.canSend(limits, 0)).toBe(false);
  });

  it('paused until t: not before t, from t on; a full window stays closed after the pause', () => {
    const p = peer();
    p.pausedUntil = 100;
    expect(p.canSend(limits, 99.5)).toBe(false);
    expect(p.canSend(limits, 100)).toBe(true);
    p.inFlight = 2;
    expect(p.canSend(limits, 200)).toBe(false);
  });

  it('a new peer: nothing queued, idle, never paused, no incarnation, nothing refused, unanswered', () => {
    const p = peer();
    expect([p.queued, p.idle, p.pausedUntil, p.incarnation, p.refusals, p.answered, p.key]).toEqual([0, true, -Infinity, 0, 0, false, 'peer|1']);
    expect(p.peek(() => true)).toBeUndefined();
    expect(p.rtt.rtoMs).toBe(defaultRetryPolicy.initialRtoMs);
  });
});

describe('PeerState queue', () => {
  it('FIFO; counts what waits; idle only with nothing in flight and nothing queued', () => {
    const p = peer();
    [1, 2, 3].forEach((n) => p.enqueue(call(n)));
    expect([p.queued, p.idle]).toEqual([3, false]);
    expect(p.peek(live)?.n).toBe(1);
    expect(p.peek(live)?.n).toBe(1); // peek does not take
    p.shift();
    expect(p.queued).toBe(2);
    p.inFlight = 1;
    expect(drain(p)).toEqual([2, 3]);
    expect([p.queued, p.idle]).toEqual([0, false]);
    p.inFlight = 0;
    expect(p.idle).toBe(true);
  });

  it('a call that ended while queued is forgotten at once and skipped when reached', () => {
    const p = peer();
    const cs = [1, 2, 3, 4].map(call);
    cs.forEach((c) => p.enqueue(c));
    cs[0]!.live = false;
    cs[2]!.live = false;
    p.forget();
    p.forget();
    expect(p.queued).toBe(2);
    expect(drain(p)).toEqual([2, 4]);
    expect(p.queued).toBe(0);
    expect(internals(p).queue).toEqual([]);
  });

  it('requeueFront puts a pushed-back call before every waiting one, whether or not the head has moved', () => {
    const p = peer();
    [1, 2, 3].forEach((n) => p.enqueue(call(n)));
    p.peek(live);
    p.shift(); // 1 is sent...
    p.requeueFront(call(1)); // ...and pushed back: into the slot the head left
    expect(internals(p)).toMatchObject({ head: 0 });
    expect(internals(p).queue.map((c) => c.n)).toEqual([1, 2, 3]);
    p.requeueFront(call(0)); // head at 0: unshift
    expect([internals(p).head, internals(p).queue.length, p.queued]).toEqual([0, 4, 4]);
    expect(drain(p)).toEqual([0, 1, 2, 3]);
  });

  it('requeueFront on an empty queue', () => {
    const p = peer();
    p.requeueFront(call(7));
    expect([p.queued, p.idle]).toEqual([1, false]);
    expect(drain(p)).toEqual([7]);
  });

  it('an emptied queue releases its array; one that keeps a tail keeps its entries until the head passes 1024', () => {
    const p = peer();
    for (let n = 0; n < 3000; n++) p.enqueue(call(n));
    for (let n = 0; n < 1025; n++) {
      p.peek(live);
      p.shift();
    }
    // head 1025 > 1024, but 2 × 1025 ≤ 3000: kept as it is.
    expect([internals(p).head, internals(p).queue.length]).toEqual([1025, 3000]);
    for (let n = 1025; n < 1500; n++) {
      p.peek(live);
      p.shift();
    }
    // head 1500: 2 × 1500 = 3000 is not more than 3000 either.
    expect([internals(p).head, internals(p).queue.length]).toEqual([1500, 3000]);
    p.peek(live);
    p.shift();
    // head 1501: compacted to the 1499 still waiting.
    expect([internals(p).head, internals(p).queue.length, p.queued]).toEqual([0, 1499, 1499]);
    expect(internals(p).queue[0]!.n).toBe(1501);
    expect(drain(p)).toHaveLength(1499);
    expect([internals(p).head, internals(p).queue.length]).toEqual([0, 0]);
  });

  it('a head of exactly 1024 past more than half the array is not compacted yet', () => {
    const p = peer();
    for (let n = 0; n < 1100; n++) p.enqueue(call(n));
    for (let n = 0; n < 1024; n++) {
      p.peek(live);
      p.shift();
    }
    expect([internals(p).head, internals(p).queue.length]).toEqual([1024, 1100]);
    p.peek(live);
    p.shift();
    expect([internals(p).head, internals(p).queue.length]).toEqual([0, 75]);
  });

  it('skipping stale entries to the end empties the array too', () => {
    const p = peer();
    const cs = [1, 2].map(call);
    cs.forEach((c) => p.enqueue(c));
    cs.forEach((c) => (c.live = false));
    p.forget();
    p.forget();
    expect(p.peek(live)).toBeUndefined();
    expect([internals(p).head, internals(p).queue.length, p.queued, p.idle]).toEqual([0, 0, 0, true]);
  });
});
