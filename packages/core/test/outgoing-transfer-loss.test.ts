// The fragment sender (recovery/outgoing-transfer.ts, protocol.md §7.3):
// which indexes go out and when, the two loss rules (3 sends behind an
// acknowledged fragment, or 9/8 SRTT old), the loss time it exposes, what a
// timeout or probe resends, and the window it keeps. Exact index lists and
// times; the RTT estimator is fed by hand.
import { describe, expect, it } from 'vitest';
import { Flag, FrameType } from '../src/wire/frame-header.js';
import { parseFrame, type Frame } from '../src/wire/frame.js';
import { maxWindowFor, windowFor } from '../src/congestion/congestion-window.js';
import { fragmentBytesFor, OutgoingTransfer } from '../src/recovery/outgoing-transfer.js';
import { RttEstimator } from '../src/recovery/rtt-estimator.js';

const ack = (cumulative: number, ranges: Array<[number, number]> = []) => ({ ackedType: FrameType.RESPONSE, cumulative, ranges });

/** `count` one-byte fragments, initial window `window`; an RTT estimate of `srttMs` (latest sample) if given. */
function transfer(count: number, window: number, srttMs?: number, maxWindow?: number) {
  const rtt = new RttEstimator({ initialRtoMs: 0, minRtoMs: 0, maxRtoMs: Infinity });
  if (srttMs !== undefined) rtt.sample(srttMs);
  const body = Uint8Array.from({ length: count }, (_, i) => i);
  return new OutgoingTransfer(FrameType.RESPONSE, body, 1, window, rtt, maxWindow);
}

describe('sizes', () => {
  it('fragmentBytesFor: datagram − 24, at most 65 535', () => {
    expect([fragmentBytesFor(1200), fragmentBytesFor(65_507), fragmentBytesFor(70_000), fragmentBytesFor(65_559), fragmentBytesFor(65_560)]).toEqual([1176, 65_483, 65_535, 65_535, 65_535]);
    expect(fragmentBytesFor(65_558)).toBe(65_534);
  });

  it('windowFor: floor(128 KiB / F) between 2 and 64; maxWindowFor: no growth from 8 KiB', () => {
    expect([windowFor(2048), windowFor(2049), windowFor(1000), windowFor(60_000), windowFor(100, 1000, 5)]).toEqual([64, 63, 64, 2, 5]);
    expect([windowFor(100, 250, 64), windowFor(100, 199, 64)]).toEqual([2, 2]);
    expect([maxWindowFor(8191, 16), maxWindowFor(8192, 16), maxWindowFor(2048, 64), maxWindowFor(1025, 64), maxWindowFor(1024, 64), maxWindowFor(500, 2000)]).toEqual([128, 16, 512, 1023, 1024, 2000]);
  });

  it('count is ceil(body / fragmentBytes); each fragment carries its slice, the last one short', () => {
    const t = new OutgoingTransfer(FrameType.REQUEST, Uint8Array.from({ length: 10 }, (_, i) => i), 4, 8, new RttEstimator({ initialRtoMs: 0, minRtoMs: 0, maxRtoMs: Infinity }));
    expect(t.count).toBe(3);
    const header = { type: FrameType.PING, flags: Flag.HAS_METADATA, attempt: 2, session: 9, id: 7 };
    const last = parseFrame(t.frame(header, 2, false)) as Frame;
    expect(last).toMatchObject({ type: FrameType.REQUEST, flags: Flag.HAS_METADATA | Flag.FRAGMENT, attempt: 2, session: 9, id: 7, fragment: { totalBytes: 10, index: 2, fragmentBytes: 4 } });
    expect([...last.body]).toEqual([8, 9]);
    const first = parseFrame(t.frame(header, 0, true)) as Frame;
    expect(first.flags).toBe(Flag.HAS_METADATA | Flag.FRAGMENT | Flag.ACK_REQUESTED);
    expect([...first.body]).toEqual([0, 1, 2, 3]);
  });
});

describe('sending and acknowledging', () => {
  it('sends the window, then what each ack makes room for; complete when every fragment is acknowledged', () => {
    const t = transfer(6, 3);
    expect(t.nextToSend(0)).toEqual([0, 1, 2]);
    expect(t.nextToSend(0)).toEqual([]);
    expect(t.onAck(ack(1), 5)).toBe(true); // cwnd 3 + 1/3
    expect([t.acked, t.complete, t.congestionWindow]).toEqual([1, false, 3]);
    expect(t.nextToSend(5)).toEqual([3]);
    expect(t.onAck(ack(1), 6)).toBe(false); // nothing new
    expect(t.onAck(ack(1, [[2, 4]]), 7)).toBe(true);
    expect(t.nextToSend(7)).toEqual([4, 5]);
    expect(t.onAck(ack(6), 8)).toBe(true);
    expect([t.acked, t.complete]).toEqual([6, true]);
    expect(t.nextToSend(8)).toEqual([]);
  });

  it('an ack for fragments never sent, or beyond the message, acknowledges nothing', () => {
    const t = transfer(4, 2);
    t.nextToSend(0); // 0, 1
    expect(t.onAck(ack(0, [[2, 9]]), 1)).toBe(false);
    expect(t.acked).toBe(0);
    expect(t.onAck(ack(9), 1)).toBe(true);
    expect(t.acked).toBe(2);
    expect(t.nextToSend(1)).toEqual([2, 3]);
  });

  it('acknowledgeAll completes it: nothing more to send, no loss time', () => {
    const t = transfer(5, 2, 10);
    t.nextToSend(0);
    t.acknowledgeAll();
    expect([t.complete, t.acked, t.lossTimeAt()]).toEqual([true, 5, undefined]);
    expect(t.nextToSend(1)).toEqual([]);
    expect(t.onTimeout(100)).toEqual([]);
  });
});

describe('loss by reordering: a fragment 3 sends behind an acknowledged one', () => {
  it('2 sends behind: not lost; 3 sends behind: lost and resent first, before new fragments', () => {
    const t = transfer(10, 8);
    expect(t.nextToSend(0)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    t.onAck(ack(0, [[2, 3]]), 1); // fragment 2 (send 2): 0 and 1 are 2 and 1 behind
    expect(t.nextToSend(1)).toEqual([8]); // nothing lost: only the new fragment the ack made room for
    const u = transfer(10, 8);
    u.nextToSend(0);
    u.onAck(ack(0, [[3, 4]]), 1); // fragment 3 (send 3): 0 is 3 behind, lost; 1 and 2 are not
    // Lost: cwnd 8 → 4, then + 1/4; in flight 6 (1, 2, 4..7): no room.
    expect(u.congestionWindow).toBe(4);
    expect(u.nextToSend(1)).toEqual([]);
    u.onAck(ack(0, [[3, 8]]), 2); // 4..7 acked: 1 and 2 now lost too (no second halving); in flight none
    expect(u.congestionWindow).toBe(5); // 4.25 + 4 / 4.25
    expect(u.nextToSend(2)).toEqual([0, 1, 2, 8, 9]);
  });
});

describe('loss by time: 9/8 SRTT after it was sent', () => {
  it('lossTimeAt is the earliest sentAt + 9/8 SRTT of a fragment sent before the largest acknowledged', () => {
    const t = transfer(6, 6, 80); // 9/8 × 80 = 90
    expect(t.lossTimeAt()).toBeUndefined();
    expect(t.nextToSend(0)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(t.lossTimeAt()).toBeUndefined(); // nothing acknowledged yet
    t.onAck(ack(0, [[1, 2]]), 50); // 1 acked: 0 is behind it, 1 send only
    expect(t.lossTimeAt()).toBe(90);
    expect(t.nextToSend(50)).toEqual([]); // 0 is not lost yet
  });

  it('at exactly sentAt + 9/8 SRTT it is lost (the rule is ≤); just before, not', () => {
    const mk = () => {
      const t = transfer(4, 4, 80);
      t.nextToSend(0); // 0..3 at 0
      return t;
    };
    const before = mk();
    before.onAck(ack(0, [[1, 2]]), 89.9);
    expect(before.nextToSend(89.9)).toEqual([]);
    expect(before.lossTimeAt()).toBe(90);
    const at = mk();
    at.onAck(ack(0, [[1, 2]]), 90);
    // 0 lost: cwnd 4 → 2 (+ 1/2); in flight 2 and 3: 2.5 → no room.
    expect(at.congestionWindow).toBe(2);
    at.onAck(ack(0, [[1, 4]]), 91);
    expect(at.nextToSend(91)).toEqual([0]);
    expect(at.lossTimeAt()).toBeUndefined();
  });

  it('without an RTT sample, time never makes a fragment lost and there is no loss time', () => {
    const t = transfer(4, 4);
    t.nextToSend(0);
    t.onAck(ack(0, [[1, 3]]), 1e6);
    expect(t.lossTimeAt()).toBeUndefined();
    expect(t.nextToSend(1e6)).toEqual([]);
    t.onAck(ack(0, [[1, 4]]), 1e6);
    expect(t.nextToSend(1e6)).toEqual([0]); // 3 sends behind fragment 3
  });

  it('lossTimeAt takes the earliest of several', () => {
    const t = transfer(6, 6, 8); // 9
    t.nextToSend(0); // 0..5 at 0
    t.onAck(ack(0, [[5, 6]]), 1); // 0, 1, 2 lost (3 behind); 3 and 4 wait: sent at 0
    expect(t.lossTimeAt()).toBe(9);
    const u = transfer(6, 2, 8);
    expect(u.nextToSend(0)).toEqual([0, 1]);
    u.onAck(ack(1), 2); // cwnd 2.5
    expect(u.nextToSend(3)).toEqual([2]);
    expect(u.nextToSend(3)).toEqual([]);
    u.onAck(ack(1, [[3, 3]]), 3);
    expect(u.lossTimeAt()).toBeUndefined();
  });
});

describe('timeouts and probes', () => {
  it('a real timeout (min age 0): everything in flight lost, the window back to the initial one', () => {
    const t = transfer(10, 4, 10, 64);
    t.nextToSend(0); // 0..3
    t.onAck(ack(1), 5); // cwnd 4.25
    expect(t.nextToSend(5)).toEqual([4]);
    expect(t.onTimeout(100)).toEqual([1, 2, 3, 4]);
    expect(t.congestionWindow).toBe(4);
  });

  it('a minimum age: only fragments in flight for max(minAge, SRTT) are lost', () => {
    const t = transfer(10, 4, 30);
    t.nextToSend(0); // 0, 1, 2, 3 at 0
    t.onAck(ack(1), 10); // cwnd 4.25
    expect(t.nextToSend(20)).toEqual([4]); // at 20
    // Age ≥ 30 (SRTT above min age 5) at 40: 1..3 (sent at 0) yes, 4 (sent at 20) no. Halved: 2.125,
    // 4 still in flight: room for one resend.
    expect(t.onTimeout(40, 5)).toEqual([1]);
    expect(t.congestionWindow).toBe(2);
    const u = transfer(10, 4, 30);
    u.nextToSend(0);
    u.onAck(ack(1), 10);
    u.nextToSend(20);
    // max(25, 30) = 30 again; at 50 fragment 4 (age exactly 30) is lost too: nothing in flight, two resends.
    expect(u.onTimeout(50, 25)).toEqual([1, 2]);
    u.onAck(ack(5), 60); // 4 new: 2.125 + 4 / 2.125
    expect(u.nextToSend(60)).toEqual([5, 6, 7, 8]);
  });

  it('a probe with nothing lost and no room resends the lowest unacknowledged fragment', () => {
    const t = transfer(5, 2, 10);
    t.nextToSend(0); // 0, 1
    t.onAck(ack(0, [[1, 2]]), 1); // 1 acked; 0 not lost yet
    expect(t.onTimeout(2, Infinity)).toEqual([2]); // room for a new one first
    expect(t.onTimeout(3, Infinity)).toEqual([0]); // window 2: in flight 0 and 2, no room: the lowest unacked
    expect(t.onTimeout(4, Infinity)).toEqual([0]);
  });

  it('a probe declares nothing lost and leaves the window as it is (RFC 9002 §7.5)', () => {
    const t = transfer(20, 8, 10);
    expect(t.nextToSend(0)).toHaveLength(8);
    expect(t.onTimeout(100, Infinity)).toEqual([0]);
    expect(t.onTimeout(200, Infinity)).toEqual([0]);
    expect(t.congestionWindow).toBe(8);
    t.onAck(ack(8), 210); // 0..7: nothing was lost, all 8 are new
    expect(t.nextToSend(210)).toEqual([8, 9, 10, 11, 12, 13, 14, 15, 16]);
  });

  it('a timeout when nothing was sent since the last reduction does not halve again', () => {
    const t = transfer(40, 16);
    t.nextToSend(0);
    expect(t.onTimeout(10, 1)).toHaveLength(8); // all 16 lost, window 8, 8 resent
    expect(t.congestionWindow).toBe(8);
  });
});

describe('edges of the loss rules and the window', () => {
  it('an ack that acknowledges nothing new declares nothing lost', () => {
    const t = transfer(4, 4, 8);
    t.nextToSend(0); // 0..3 at 0, sends 0..3
    t.onAck(ack(0), 100); // nothing: fragment 0 (send 0) is old, but no later send was acknowledged
    expect(t.nextToSend(100)).toEqual([]);
    expect(t.lossTimeAt()).toBeUndefined();
    expect(t.congestionWindow).toBe(4); // no loss, so no halving
    t.onAck(ack(1), 101); // fragment 0 arrives after all: it was not lost
    expect(t.nextToSend(101)).toEqual([]);
  });

  it('the largest acknowledged send is the largest of the ack, not its last fragment', () => {
    const t = transfer(6, 16);
    expect(t.nextToSend(0)).toEqual([0, 1, 2, 3, 4, 5]); // sends 0..5
    expect(t.onTimeout(1, Infinity)).toEqual([0]); // a probe: fragment 0 again, send 6
    // Fragment 0 (send 6) and 5 (send 5): 1, 2 and 3 are 3 or more sends behind 6.
    t.onAck(ack(1, [[5, 6]]), 2);
    expect(t.nextToSend(2)).toEqual([1, 2, 3]);
  });

  it('a later ack of an earlier send does not lower the largest acknowledged send', () => {
    const t = transfer(5, 8, 8); // loss threshold 9 ms
    t.nextToSend(0); // sends 0..4 at 0
    t.onAck(ack(0, [[4, 5]]), 1); // send 4: 0 and 1 lost (3 behind); 2 and 3 wait for their loss time
    expect(t.lossTimeAt()).toBe(9);
    t.onAck(ack(0, [[2, 3], [4, 5]]), 2); // send 2 acknowledged: 3 (send 3) is still behind send 4
    expect(t.lossTimeAt()).toBe(9);
  });

  it('a fragment resent after the largest acknowledged send is no loss-time candidate; the older one behind it is', () => {
    const t = transfer(4, 8, 8); // loss threshold 9 ms
    t.nextToSend(0); // sends 0, 1, 2, 3 at 0
    t.onAck(ack(1), 1); // fragment 0
    expect(t.onTimeout(5, Infinity)).toEqual([1]); // probe resends 1 at 5 (send 4)
    t.onAck(ack(1, [[3, 4]]), 6); // send 3 acknowledged: 2 (send 2) waits until 0 + 9; 1 (send 4) is after it
    expect(t.lossTimeAt()).toBe(9);
    const u = transfer(5, 8, 8);
    u.nextToSend(0); // sends 0..4 at 0
    u.onAck(ack(1), 1);
    expect(u.onTimeout(5, Infinity)).toEqual([1]); // send 5, at 5
    u.nextToSend(6);
    u.onAck(ack(1, [[4, 5]]), 6); // send 4: 2 (send 2) waits until 9, 3 (send 3) until 9; 1 (send 5) is after
    expect(u.lossTimeAt()).toBe(9);
  });

  it('a real timeout (min age 0) takes every fragment in flight as lost, however recent', () => {
    const t = transfer(10, 4, 10);
    t.nextToSend(0); // 0..3 at 0
    t.onAck(ack(1), 5);
    expect(t.nextToSend(5)).toEqual([4]); // at 5
    expect(t.onTimeout(12)).toEqual([1, 2, 3, 4]); // 4 is 7 ms old, younger than SRTT, lost all the same
  });

  it('after a timeout the window grows by slow start up to half the window it had', () => {
    const t = transfer(400, 2, undefined, 64);
    let next = 0;
    // Grow: one fragment acknowledged per ack, 2 → about 6.
    for (let i = 0; i < 16; i++) {
      next += t.nextToSend(i).length;
      t.onAck(ack(i + 1), i);
    }
    expect(t.congestionWindow).toBe(6);
    expect(t.onTimeout(100)).toEqual([16, 17]); // back to the initial window, 2; ssthresh half of ~6.5
    expect(t.congestionWindow).toBe(2);
    t.onAck(ack(18), 101); // 2 new below ssthresh: slow start, + 2
    expect(t.congestionWindow).toBe(4);
    void next;
  });

  it('never grows past maxWindow', () => {
    const t = transfer(100, 4, undefined, 4);
    for (let i = 0; i < 10; i++) {
      t.nextToSend(i);
      t.onAck(ack(4 * (i + 1)), i);
    }
    expect(t.congestionWindow).toBe(4);
    expect(t.nextToSend(20)).toHaveLength(4);
  });
});
