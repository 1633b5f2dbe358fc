// Early loss detection for calls (recovery/call-loss-detector.ts,
// protocol.md §7.2, RFC 9002 §6.1): the send order it keeps, which calls an
// answer makes suspect and how many times, when they stop being tracked, and
// the time threshold read from the peer's RTT estimate.
import { describe, expect, it } from 'vitest';
import { CallLossDetector, LOSS_GRANULARITY_MS, LOSS_PACKET_THRESHOLD, LOSS_TIME_THRESHOLD, lossDelayMs, type LossTracked } from '../src/recovery/call-loss-detector.js';
import { RttEstimator } from '../src/recovery/rtt-estimator.js';

interface Call extends LossTracked<Call> {
  readonly n: number;
}

const call = (n: number): Call => ({ n, lossSeq: 0, laterAnswered: 0, lossPrev: undefined, lossNext: undefined });

/** The tracked calls, walked forwards and backwards (both must agree). */
function order(d: CallLossDetector<Call>): number[] {
  const internals = d as unknown as { head: Call | undefined; tail: Call | undefined };
  const forward: number[] = [];
  for (let c = internals.head; c !== undefined; c = c.lossNext) forward.push(c.n);
  const backward: number[] = [];
  for (let c = internals.tail; c !== undefined; c = c.lossPrev) backward.push(c.n);
  expect(backward.reverse()).toEqual(forward);
  return forward;
}

function answered(d: CallLossDetector<Call>, c: Call, ofLatest = true): number[] {
  const suspects: Call[] = [];
  d.answered(c, ofLatest, suspects);
  return suspects.map((s) => s.n);
}

describe('lossDelayMs', () => {
  it('RFC 9002 constants: 3 answers, 9/8 RTT, 1 ms', () => {
    expect([LOSS_PACKET_THRESHOLD, LOSS_TIME_THRESHOLD, LOSS_GRANULARITY_MS]).toEqual([3, 1.125, 1]);
  });

  it('undefined before a sample; then 9/8 × max(SRTT, latest), at least 1 ms', () => {
    const rtt = new RttEstimator({ initialRtoMs: 200, minRtoMs: 0, maxRtoMs: Infinity });
    expect(lossDelayMs(rtt)).toBeUndefined();
    rtt.sample(80);
    expect(lossDelayMs(rtt)).toBe(90);
    rtt.sample(160); // SRTT 90, latest 160
    expect(lossDelayMs(rtt)).toBe(180);
    rtt.sample(10); // SRTT 80, latest 10
    expect(lossDelayMs(rtt)).toBe(90);
    const tiny = new RttEstimator({ initialRtoMs: 200, minRtoMs: 0, maxRtoMs: Infinity });
    tiny.sample(0.5);
    expect(lossDelayMs(tiny)).toBe(1);
    tiny.srttMs = 0.8;
    tiny.latestMs = undefined;
    expect(lossDelayMs(tiny)).toBe(1);
    tiny.srttMs = 8;
    expect(lossDelayMs(tiny)).toBe(9);
  });
});

describe('CallLossDetector', () => {
  it('keeps the send order; a retransmission moves a call to the end and starts its count over', () => {
    const d = new CallLossDetector<Call>();
    expect(d.empty).toBe(true);
    const [a, b, c] = [1, 2, 3].map(call);
    d.sent(a!);
    d.sent(b!);
    d.sent(c!);
    expect(order(d)).toEqual([1, 2, 3]);
    expect([a!.lossSeq, b!.lossSeq, c!.lossSeq]).toEqual([1, 2, 3]);
    expect(d.empty).toBe(false);
    a!.laterAnswered = 2;
    d.sent(a!);
    expect(order(d)).toEqual([2, 3, 1]);
    expect([a!.lossSeq, a!.laterAnswered]).toEqual([4, 0]);
    d.sent(c!); // from the middle
    expect(order(d)).toEqual([2, 1, 3]);
    d.sent(c!); // the tail again
    expect(order(d)).toEqual([2, 1, 3]);
  });

  it('remove unlinks from head, middle and tail; false for a call not tracked', () => {
    const d = new CallLossDetector<Call>();
    const cs = [1, 2, 3, 4].map(call);
    cs.forEach((c) => d.sent(c));
    expect(d.remove(cs[1]!)).toBe(true);
    expect(order(d)).toEqual([1, 3, 4]);
    expect(d.remove(cs[1]!)).toBe(false);
    expect([cs[1]!.lossSeq, cs[1]!.lossPrev, cs[1]!.lossNext]).toEqual([0, undefined, undefined]);
    expect(d.remove(cs[0]!)).toBe(true);
    expect(order(d)).toEqual([3, 4]);
    expect(d.remove(cs[3]!)).toBe(true);
    expect(order(d)).toEqual([3]);
    expect(d.remove(cs[2]!)).toBe(true);
    expect([order(d), d.empty]).toEqual([[], true]);
    d.sent(cs[0]!);
    expect(order(d)).toEqual([1]);
  });

  it('an answer to the latest transmission makes every call sent before it suspect, once per answer; the third removes it', () => {
    const d = new CallLossDetector<Call>();
    const cs = [0, 1, 2, 3, 4, 5].map(call);
    cs.forEach((c) => d.sent(c));
    expect(answered(d, cs[2]!)).toEqual([0, 1]);
    expect([cs[0]!.laterAnswered, cs[1]!.laterAnswered, cs[3]!.laterAnswered]).toEqual([1, 1, 0]);
    expect(answered(d, cs[3]!)).toEqual([0, 1]);
    expect(order(d)).toEqual([0, 1, 4, 5]);
    // The third later answer: 0 and 1 reach the threshold, come out suspect and untracked.
    expect(answered(d, cs[5]!)).toEqual([0, 1, 4]);
    expect(order(d)).toEqual([4]);
    expect([cs[0]!.laterAnswered, cs[0]!.lossSeq, cs[4]!.laterAnswered]).toEqual([3, 0, 1]);
  });

  it('an answer to an earlier transmission, or to a call no longer tracked, is no evidence', () => {
    const d = new CallLossDetector<Call>();
    const [a, b] = [1, 2].map(call);
    d.sent(a!);
    d.sent(b!);
    expect(answered(d, b!, false)).toEqual([]);
    expect(order(d)).toEqual([1]); // b is no longer tracked either way
    expect(a!.laterAnswered).toBe(0);
    expect(answered(d, b!, true)).toEqual([]); // a reply after the ACK of the same transmission
    expect(a!.laterAnswered).toBe(0);
  });

  it('calls sent after the answered one are not suspects', () => {
    const d = new CallLossDetector<Call>();
    const cs = [1, 2, 3].map(call);
    cs.forEach((c) => d.sent(c));
    expect(answered(d, cs[0]!)).toEqual([]);
    expect(order(d)).toEqual([2, 3]);
  });
});
