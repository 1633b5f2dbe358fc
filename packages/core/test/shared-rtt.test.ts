// One RTT estimator per server (issue 13; protocol.md §7.1, §7.3): the calls
// to a peer and the requests in fragments sent to it read and feed the same
// RttEstimator. A transfer's probe timeout is the peer's RFC 9002 PTO,
// SRTT + max(4·RTTVAR, 1 ms); its fragment acks are RTT samples of the peer;
// and a fragmented call is timed by its fragments only (one Karn rule per
// kind of transmission: an ACK that follows a whole transfer is not an RTT).
// The real ClientEngine, hand-made server frames, chosen times.
import { describe, expect, it } from 'vitest';
import { ClientEngine } from '../src/client/client-engine.js';
import { encodeFragmentAck } from '../src/wire/fragment-ack.js';
import { FrameType, type FrameHeader } from '../src/wire/frame-header.js';
import { encodeFrame } from '../src/wire/frame.js';
import { framesOf, METHOD, SERVER } from './engine-pair.js';

function setUp() {
  const sent: Uint8Array[] = [];
  // Jitter draws 0.5: every retransmission delay is exactly its backoff.
  const engine = new ClientEngine({ send: (bytes) => sent.push(bytes), random: () => 0.5 });
  const answer = (id: number, type: FrameType, attempt: number, now: number, body: Uint8Array = new Uint8Array(0)): void => {
    const header: FrameHeader = { type, flags: 0, attempt, session: engine.session, id };
    engine.receive(encodeFrame(header, body), SERVER, now);
  };
  const call = (payloadBytes: number, now: number): number => {
    const id = engine.call({ peer: SERVER, method: METHOD, payload: new Uint8Array(payloadBytes), deadlineAt: now + 5000 }, now, () => {});
    if (typeof id !== 'number') throw id;
    return id;
  };
  /** Two whole calls answered after 4 ms each: SRTT 4, RTTVAR 3/4·2 = 1.5, so PTO 4 + 6 = 10 and RTO 30 (the floor). */
  const twoSamples = (): void => {
    answer(call(1, 0), FrameType.RESPONSE, 0, 4);
    answer(call(1, 10), FrameType.RESPONSE, 0, 14);
    expect(engine.peerTiming(SERVER)).toEqual({ srttMs: 4, rtoMs: 30 });
  };
  const requestFragments = () => sent.flatMap(framesOf).filter((f) => f.type === FrameType.REQUEST && f.fragment !== undefined);
  return { engine, answer, call, twoSamples, requestFragments };
}

describe('one RTT estimator per peer, shared by calls and request transfers', () => {
  it("a request transfer's probe timer is the peer's PTO: 10 ms after its window went out, before the call's 30 ms RTO", () => {
    const { engine, call, twoSamples, requestFragments } = setUp();
    twoSamples();
    call(5000, 20); // 5 fragments of 1176 bytes, all in the first window
    expect(requestFragments()).toHaveLength(5);
    // A transfer seeded with the peer's SRTT as its own first sample would
    // have had RTTVAR 2, so its probe at 20 + 4 + 8 = 32.
    expect(engine.nextTimerAt()).toBe(30);
    engine.onTimer(30);
    expect(engine.stats()).toMatchObject({ requestProbes: 1, retransmits: 0 });
    expect(requestFragments()).toHaveLength(6);
  });

  it("a request fragment's ack is one RTT sample of the peer (not two: the call does not time it again)", () => {
    const { engine, answer, call, twoSamples } = setUp();
    twoSamples();
    const id = call(5000, 20);
    const ack = encodeFragmentAck({ ackedType: FrameType.REQUEST, cumulative: 2, ranges: [] }, 64);
    answer(id, FrameType.FRAGMENT_ACK, 0, 26, ack);
    // One sample of 6 ms (fragment 1, sent once at 20): SRTT 7/8·4 + 1/8·6 = 4.25.
    // Two samples would give 4.46875; none (the transfer's own estimator) 4.
    expect(engine.peerTiming(SERVER)).toEqual({ srttMs: 4.25, rtoMs: 30 });
    // RTTVAR 3/4·1.5 + 1/4·|4 − 6| = 1.625: the probe of the remaining fragments comes at 20 + 4.25 + 6.5.
    expect(engine.nextTimerAt()).toBe(30.75);
  });

  it('the ACK of a request in fragments is not a call-level sample: now − first send timed the transfer, not the path', () => {
    const { engine, answer, call, twoSamples } = setUp();
    twoSamples();
    const id = call(5000, 20);
    answer(id, FrameType.ACK, 0, 300);
    // Sampled, 280 ms would have moved SRTT to 7/8·4 + 1/8·280 = 38.5.
    expect(engine.peerTiming(SERVER)).toEqual({ srttMs: 4, rtoMs: 30 });
  });
});
