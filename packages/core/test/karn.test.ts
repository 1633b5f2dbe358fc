// Karn's rule at the engine level (protocol.md §3.2, RFC 6298 §3): the
// client engine times only a reply that echoes its call's latest
// transmission, and times each transmission at most once. The echoed attempt
// number is what makes this exact; these tests drive the real ClientEngine
// with hand-made server frames at chosen times.
import { describe, expect, it } from 'vitest';
import { ClientEngine } from '../src/client/client-engine.js';
import { FrameType, type FrameHeader } from '../src/wire/frame-header.js';
import { encodeFrame } from '../src/wire/frame.js';
import { defaultRetryPolicy } from '../src/recovery/retry-policy.js';
import { framesOf, METHOD, seeded, SERVER } from './engine-pair.js';

function setUp() {
  const sent: Uint8Array[] = [];
  const engine = new ClientEngine({ send: (bytes) => sent.push(bytes), random: seeded(7) });
  const outcomes: unknown[] = [];
  const id = engine.call({ peer: SERVER, method: METHOD, payload: new Uint8Array([1]), deadlineAt: 5000 }, 0, (o) => outcomes.push(o));
  if (typeof id !== 'number') throw id;
  const answer = (type: FrameType, attempt: number, now: number): void => {
    const header: FrameHeader = { type, flags: 0, attempt, session: engine.session, id };
    engine.receive(encodeFrame(header, new Uint8Array(0)), SERVER, now);
  };
  const attempts = () => sent.flatMap(framesOf).filter((f) => f.type === FrameType.REQUEST).map((f) => f.attempt);
  /** Fires the call's retransmission timer; returns when it fired. */
  const retransmit = (): number => {
    const at = engine.nextTimerAt()!;
    engine.onTimer(at);
    return at;
  };
  return { engine, outcomes, answer, attempts, retransmit };
}

describe('Karn at the engine level: which replies time the path', () => {
  it('a reply echoing an earlier transmission (attempt 0 after attempt 1 went out) is not sampled', () => {
    const { engine, outcomes, answer, attempts, retransmit } = setUp();
    const t1 = retransmit();
    expect(attempts()).toEqual([0, 1]);
    answer(FrameType.RESPONSE, 0, t1 + 3);
    expect(outcomes).toHaveLength(1); // the stale reply still answers the call...
    // ...but times nothing: 3 ms would be the RTT of attempt 1, which it does not answer.
    expect(engine.peerTiming(SERVER)).toEqual({ srttMs: undefined, rtoMs: defaultRetryPolicy.initialRtoMs });
  });

  it('an ACK echoing an earlier transmission is not sampled either', () => {
    const { engine, answer, retransmit } = setUp();
    const t1 = retransmit();
    answer(FrameType.ACK, 0, t1 + 2);
    expect(engine.peerTiming(SERVER)!.srttMs).toBeUndefined();
  });

  it('a reply echoing the latest transmission is sampled from that transmission: exactly now − its send time', () => {
    const { engine, answer, retransmit } = setUp();
    const t1 = retransmit();
    answer(FrameType.RESPONSE, 1, t1 + 3);
    // RFC 6298 (2.2): SRTT = R = 3, RTTVAR = R/2 = 1.5, RTO = max(30, 3 + 4·1.5) = 30.
    expect(engine.peerTiming(SERVER)).toEqual({ srttMs: 3, rtoMs: 30 });
  });

  it('exactly one sample per transmission: the ACK times attempt 0, the reply after it (same attempt, plus handler time) does not', () => {
    const { engine, outcomes, answer } = setUp();
    answer(FrameType.ACK, 0, 10);
    expect(engine.peerTiming(SERVER)!.srttMs).toBe(10);
    answer(FrameType.ACK, 0, 20); // a duplicated ACK
    answer(FrameType.RESPONSE, 0, 50);
    expect(outcomes).toHaveLength(1);
    // A second sample (20 or 50 ms) would have moved SRTT off 10 (to 11.25 or 15).
    expect(engine.peerTiming(SERVER)).toEqual({ srttMs: 10, rtoMs: 30 });
  });

  it('after a retransmission, the ACK of the new attempt is sampled once, the earlier attempt’s ACK never', () => {
    const { engine, answer, retransmit } = setUp();
    answer(FrameType.ACK, 0, 40); // attempt 0 timed: 40
    expect(engine.peerTiming(SERVER)!.srttMs).toBe(40);
    const t1 = retransmit(); // the acked call probes again (attempt 1)
    answer(FrameType.ACK, 0, t1 + 1); // stale: not a sample
    expect(engine.peerTiming(SERVER)!.srttMs).toBe(40);
    answer(FrameType.ACK, 1, t1 + 8); // attempt 1 timed: 8
    answer(FrameType.RESPONSE, 1, t1 + 30); // same attempt again: not a sample
    // (2.3): RTTVAR = 3/4·20 + 1/4·|40 − 8| = 23, SRTT = 7/8·40 + 1/8·8 = 36.
    expect(engine.peerTiming(SERVER)!.srttMs).toBe(36);
    expect(engine.peerTiming(SERVER)!.rtoMs).toBe(36 + 4 * 23);
  });
});
