// A fragmented message's own loss and probe timer (recovery/timed-transfer.ts,
// protocol.md §7.3, RFC 9002 §6.1.2 and §6.2): the exact schedule of probes
// (PTO × 2^n after the last send, capped at 1 s, at most 5 without progress),
// when it stops (complete, unwanted, past its deadline), the RTT samples it
// takes (Karn: first transmissions sent after the last probe only), and the
// loss timer's resends. One-byte fragments; the heap is read, not driven.
import { describe, expect, it } from 'vitest';
import { FrameType } from '../src/wire/frame-header.js';
import { RttEstimator } from '../src/recovery/rtt-estimator.js';
import { INITIAL_PTO_MS, MAX_PROBES, MAX_PTO_MS, TimedTransfer, TransferTimers } from '../src/recovery/timed-transfer.js';

class Transfer extends TimedTransfer {
  until: number | undefined = Infinity;
  liveUntil(): number | undefined {
    return this.until;
  }
}

const ack = (cumulative: number, ranges: Array<[number, number]> = []) => ({ ackedType: FrameType.RESPONSE, cumulative, ranges });

function setup(count: number, rtt?: RttEstimator) {
  const timers = new TransferTimers<Transfer>();
  const t = new Transfer(FrameType.RESPONSE, new Uint8Array(count), 1, timers as unknown as TransferTimers<TimedTransfer>, rtt ?? new RttEstimator({ initialRtoMs: INITIAL_PTO_MS, minRtoMs: 0, maxRtoMs: Infinity }));
  return { timers, t };
}

/** Fires the transfer's timer until it stops: [time, indexes sent] per firing. */
function run(timers: TransferTimers<Transfer>, limit = 20): Array<[number, number[]]> {
  const fired: Array<[number, number[]]> = [];
  for (let at = timers.nextTimerAt(); at !== undefined && fired.length < limit; at = timers.nextTimerAt()) {
    const t = timers.popDue(at)!;
    fired.push([at, t.onTimer(at)]);
  }
  return fired;
}

describe('TimedTransfer probe schedule', () => {
  it('constants: 200 ms before a sample, backing off to 1 s, 5 probes', () => {
    expect([INITIAL_PTO_MS, MAX_PTO_MS, MAX_PROBES]).toEqual([200, 1000, 5]);
  });

  it('no sample, nothing acknowledged: probes at 200, 600, 1400, 2400, 3400 ms, each the lowest fragment, then it stops', () => {
    const { timers, t } = setup(3);
    expect(t.nextToSend(0)).toEqual([0, 1, 2]);
    expect(timers.nextTimerAt()).toBe(200);
    expect(run(timers)).toEqual([
      [200, [0]],
      [600, [0]],
      [1400, [0]],
      [2400, [0]],
      [3400, [0]],
    ]);
    expect([t.probesInARow, timers.probes, timers.lossResends, timers.size]).toEqual([5, 5, 0, 0]);
  });

  it('a PTO already above 1 s is kept, not cut by the cap', () => {
    const rtt = new RttEstimator({ initialRtoMs: 1500, minRtoMs: 0, maxRtoMs: Infinity });
    const { timers, t } = setup(2, rtt);
    t.nextToSend(0);
    expect(run(timers).map(([at]) => at)).toEqual([1500, 3000, 4500, 6000, 7500]);
  });

  it('progress starts the count over; the PTO follows the RTT sample it took', () => {
    const { timers, t } = setup(4);
    t.nextToSend(0); // 0..3 at 0
    expect(run(timers, 2)).toEqual([
      [200, [0]],
      [600, [0]],
    ]);
    expect(t.probesInARow).toBe(2);
    // Fragment 1 (first sent at 0, before the probes) is acknowledged at 650: no sample (the
    // ack may answer a probe); progress: the count starts over.
    expect(t.onAck(ack(0, [[1, 2]]), 650)).toBe(true);
    expect(t.probesInARow).toBe(0);
    expect(timers.nextTimerAt()).toBe(600 + 200); // last send (the probe at 600) + PTO
  });

  it('samples the RTT of a fragment sent once after the last probe: PTO = SRTT + max(4 × RTTVAR, 1)', () => {
    const rtt = new RttEstimator({ initialRtoMs: 200, minRtoMs: 0, maxRtoMs: Infinity });
    const { timers, t } = setup(4, rtt);
    t.nextToSend(10); // 0..3 at 10
    t.onAck(ack(2), 50); // highest covered: 1, first sent at 10: sample 40
    expect([rtt.srttMs, rtt.rttvarMs]).toEqual([40, 20]);
    expect(timers.nextTimerAt()).toBe(10 + 40 + 80);
    // The same highest fragment again: no second sample.
    t.onAck(ack(2), 90);
    expect(rtt.srttMs).toBe(40);
    // A range's end beyond the cumulative count: its last fragment is the one timed.
    t.onAck(ack(2, [[3, 4]]), 70);
    expect(rtt.latestMs).toBe(60);
  });

  it('no sample from a resent fragment (Karn), nor from one sent before the last probe', () => {
    const rtt = new RttEstimator({ initialRtoMs: 200, minRtoMs: 0, maxRtoMs: Infinity });
    const { timers, t } = setup(2, rtt);
    t.nextToSend(0);
    run(timers, 1); // probe at 200 resends 0
    t.onAck(ack(1), 250); // 0 was resent: ambiguous
    expect(rtt.srttMs).toBeUndefined();
    t.onAck(ack(2), 260); // 1 was sent once, at 0, before the probe at 200
    expect(rtt.srttMs).toBeUndefined();
  });

  it('an ack covering fragments never sent yields no sample', () => {
    const rtt = new RttEstimator({ initialRtoMs: 200, minRtoMs: 0, maxRtoMs: Infinity });
    const timers = new TransferTimers<Transfer>();
    const t = new Transfer(FrameType.RESPONSE, new Uint8Array(200), 1, timers as unknown as TransferTimers<TimedTransfer>, rtt);
    t.nextToSend(0); // the first window only
    t.onAck(ack(0, [[150, 160]]), 30);
    expect(rtt.srttMs).toBeUndefined();
  });
});

describe('TimedTransfer RTT samples: Karn', () => {
  const fresh = () => new RttEstimator({ initialRtoMs: 200, minRtoMs: 0, maxRtoMs: Infinity });

  it('the highest fragment sent, resent (the lowest unacknowledged), is not timed', () => {
    const rtt = fresh();
    const { timers, t } = setup(2, rtt);
    t.nextToSend(0); // 0, 1
    t.onAck(ack(1), 0); // 0 timed at 0 ms
    expect(rtt.srttMs).toBe(0);
    expect(run(timers, 1)).toEqual([[1, [1]]]); // probe at PTO 1 ms: resends 1
    t.onAck(ack(2), 5);
    expect([rtt.srttMs, rtt.latestMs]).toEqual([0, 0]);
  });

  it('fragments resent by a timeout from outside (no probe) are not timed', () => {
    const rtt = fresh();
    const { t } = setup(2, rtt);
    t.nextToSend(0);
    expect(t.resend(100, 0)).toEqual([0, 1]);
    t.onAck(ack(2), 130);
    expect(rtt.srttMs).toBeUndefined();
  });

  it('a new fragment first sent by a probe is timed from the probe', () => {
    const rtt = fresh();
    const { timers, t } = setup(70, rtt); // window 64
    expect(t.nextToSend(0)).toHaveLength(64);
    t.onAck(ack(60), 100); // fragment 59: sample 100 (PTO 100 + 200 = 300); no room used yet
    expect(rtt.srttMs).toBe(100);
    const at = timers.nextTimerAt()!;
    expect(at).toBe(300);
    expect(timers.popDue(at)!.onTimer(at)).toEqual([64, 65, 66, 67, 68, 69]);
    t.onAck(ack(70), 340);
    expect(rtt.latestMs).toBe(40);
  });

  it('an ack after the message was acknowledged whole another way is not timed', () => {
    const rtt = fresh();
    const { t } = setup(2, rtt);
    t.nextToSend(0);
    t.acknowledgeAll();
    t.onAck(ack(2), 30);
    expect(rtt.srttMs).toBeUndefined();
  });
});

describe('TimedTransfer progress time and base PTO (for black-hole detection)', () => {
  it('progressAt: the first send, then each ack that acknowledged something new; basePtoMs: the PTO before backing off', () => {
    const rtt = new RttEstimator({ initialRtoMs: 200, minRtoMs: 0, maxRtoMs: Infinity });
    const { timers, t } = setup(4, rtt);
    expect([t.progressAt, t.basePtoMs]).toEqual([0, 200]);
    t.nextToSend(30);
    expect(t.progressAt).toBe(30);
    run(timers, 2); // probes at 230 and 630: no progress
    expect([t.progressAt, t.basePtoMs]).toEqual([30, 200]);
    t.nextToSend(700); // nothing new to send: not a first send
    expect(t.progressAt).toBe(30);
    t.onAck(ack(0, [[1, 2]]), 650); // fragment 1: progress (sent before the probes: no sample)
    expect([t.progressAt, t.basePtoMs]).toEqual([650, 200]);
    t.onAck(ack(0, [[1, 2]]), 660); // nothing new
    expect(t.progressAt).toBe(650);
  });

  it('a one-fragment transfer (a path larger than the base size): resending its only fragment is no progress', () => {
    const { timers, t } = setup(1);
    expect(t.nextToSend(10)).toEqual([0]);
    expect(run(timers, 1)).toEqual([[210, [0]]]);
    expect(t.progressAt).toBe(10);
  });
});

describe('TimedTransfer stops', () => {
  it('when complete, and acknowledgeAll stops it too', () => {
    const { timers, t } = setup(2);
    t.nextToSend(0);
    t.onAck(ack(2), 5);
    expect([t.complete, timers.size]).toEqual([true, 0]);
    const b = setup(2);
    b.t.nextToSend(0);
    b.t.acknowledgeAll();
    expect([b.t.complete, b.timers.size]).toEqual([true, 0]);
  });

  it('when its next firing would be at or after liveUntil, or liveUntil is undefined', () => {
    const a = setup(2);
    a.t.until = 200;
    a.t.nextToSend(0);
    expect(a.timers.size).toBe(0);
    const b = setup(2);
    b.t.until = 200.5;
    b.t.nextToSend(0);
    expect(b.timers.nextTimerAt()).toBe(200);
    const c = setup(2);
    c.t.until = undefined;
    c.t.nextToSend(0);
    expect(c.timers.size).toBe(0);
  });

  it('TransferTimers.popDue skips a transfer completed or no longer wanted since it was armed', () => {
    const timers = new TransferTimers<Transfer>();
    const mk = () => new Transfer(FrameType.RESPONSE, new Uint8Array(2), 1, timers as unknown as TransferTimers<TimedTransfer>, new RttEstimator({ initialRtoMs: INITIAL_PTO_MS, minRtoMs: 0, maxRtoMs: Infinity }));
    const [a, b, c] = [mk(), mk(), mk()];
    a.nextToSend(0);
    b.nextToSend(1);
    c.nextToSend(2);
    a.out.acknowledgeAll();
    b.until = undefined;
    expect(timers.size).toBe(3);
    expect(timers.popDue(1000)).toBe(c);
    expect(timers.popDue(1000)).toBeUndefined();
    expect(timers.popDue(100)).toBeUndefined();
  });
});

describe('TimedTransfer loss timer', () => {
  it('fires at sentAt + 9/8 SRTT of a fragment behind an acknowledged one and resends it, counted', () => {
    const rtt = new RttEstimator({ initialRtoMs: 200, minRtoMs: 0, maxRtoMs: Infinity });
    rtt.sample(80); // SRTT 80, RTTVAR 40: PTO 240
    const { timers, t } = setup(3, rtt);
    t.nextToSend(0); // 0, 1, 2 at 0
    t.onAck(ack(0, [[1, 2]]), 20); // 1 acked, sampled 20: SRTT 72.5, latest 20
    const srtt = rtt.srttMs!;
    expect(srtt).toBe(0.875 * 80 + 0.125 * 20);
    expect(timers.nextTimerAt()).toBe((9 / 8) * srtt);
    const at = timers.nextTimerAt()!;
    // Every fragment in flight for an SRTT is lost then: 0, and 2 (sent at 0 too).
    expect(timers.popDue(at)!.onTimer(at)).toEqual([0, 2]);
    expect([timers.lossResends, timers.probes, t.probesInARow]).toEqual([2, 0, 0]);
  });

  it('a loss time that is exactly now when the timer is armed goes to the probe timer, too', () => {
    const rtt = new RttEstimator({ initialRtoMs: 200, minRtoMs: 0, maxRtoMs: Infinity });
    rtt.sample(8);
    const { timers, t } = setup(3, rtt);
    t.nextToSend(0);
    t.onAck(ack(0, [[2, 3]]), 5); // SRTT 7.625, RTTVAR 3.75: loss time 9/8 × 7.625 = 8.578125
    expect(t.nextToSend(8.578125)).toEqual([]);
    expect(timers.nextTimerAt()).toBe(0 + 7.625 + 4 * 3.75);
  });

  it('a loss time already past when the timer is armed: it is armed for now, never in the past, and resends as a loss', () => {
    const rtt = new RttEstimator({ initialRtoMs: 200, minRtoMs: 0, maxRtoMs: Infinity });
    rtt.sample(8);
    const { timers, t } = setup(3, rtt);
    t.nextToSend(0); // 0, 1, 2 at 0
    t.onAck(ack(0, [[2, 3]]), 5); // sample 5: SRTT 7.625, RTTVAR 3.75; 0 and 1 lost at 9/8 × 7.625
    expect(timers.nextTimerAt()).toBe((9 / 8) * 7.625);
    expect(t.nextToSend(50)).toEqual([]); // re-armed at 50, long after the loss time
    expect(timers.nextTimerAt()).toBe(50);
    expect(timers.popDue(50)!.onTimer(50)).toEqual([0, 1]);
    expect([timers.lossResends, timers.probes]).toEqual([2, 0]);
    // Then the probe timer: last send 50 + PTO 22.625.
    expect(timers.nextTimerAt()).toBe(50 + 7.625 + 4 * 3.75);
  });
});
