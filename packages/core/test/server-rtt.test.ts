// One RTT estimator per client address on the server (issue 13; protocol.md
// §7.3 "Reply timers", §8.2): every reply transfer to an address samples the
// same RttEstimator, kept in the address's source state, and reads its PTO
// from it, so a reply starts from what the replies before it measured rather
// than from the initial 200 ms. The estimator is charged to
// sources.maxStateBytes and forgotten with its source.
//
// The real ServerEngine, driven as a host drives it (delivering.ts), and a
// scripted client over a virtual clock with a fixed one-way delay: the client
// acknowledges everything it has when a fragment with ACK_REQUESTED (the last
// of each burst) reaches it, so each ack reaches the server one round trip
// after the burst was sent and every sample is exactly that round trip.
import { describe, expect, it } from 'vitest';
import { CodecId, type PeerAddress } from '../src/index.js';
import { encodeFragmentAck, encodeFrame, encodeMethodName, encodeRequestFrame, Flag, FrameType, parseFrame, type Frame } from '../src/wire/index.js';
import { ServerEngine, type IncomingCall, type ServerEngineOptions } from '../src/server/server-engine.js';
import { INITIAL_PTO_MS } from '../src/server/reply-transfer.js';
import { RTT_STATE_BYTES, SESSION_STATE_BYTES, SOURCE_STATE_BYTES } from '../src/server/source-limits.js';
import { delivering } from './delivering.js';

const METHOD = encodeMethodName('svc.big');
const NO_SPAN = 0xffff_ffff;
/** Reply fragment body bytes at the default 1200-byte datagrams. */
const F = 1176;
/** A reply in one datagram (no transfer, no estimator). */
const SMALL = 4;

const client = (n: number): PeerAddress => ({ address: `10.0.0.${n}`, family: 'IPv4', port: 5000 });

/** The server, whose handler answers each call at once with as many full reply fragments as the request's one byte says (0: a SMALL reply). */
function rig(options: Partial<ServerEngineOptions> = {}) {
  const sent: { to: PeerAddress; frame: Frame }[] = [];
  let now = 0;
  const engine: ServerEngine = delivering(
    new ServerEngine({
      send: (bytes, to) => {
        const frame = parseFrame(bytes);
        if (typeof frame === 'string') throw new Error(frame);
        sent.push({ to, frame });
      },
      hooks: { onCall: (call: IncomingCall) => engine.respondOk(call, new Uint8Array(call.payload[0]! * F || SMALL), now) },
      ...options,
    }),
  );
  /** Reply fragments sent to `to` for call `id` since `from` (an index into `sent`). */
  const fragments = (to: PeerAddress, id: number, from = 0) =>
    sent.slice(from).filter((s) => s.to === to && s.frame.id === id && s.frame.fragment !== undefined).map((s) => s.frame);
  /**
   * A request from `from`, arriving at `at`, for a reply of `fragmentCount`
   * fragments (0: a SMALL reply). 100: the first window (64) goes at once, the
   * other 36 when its ack arrives.
   */
  const request = (from: PeerAddress, id: number, at: number, fragmentCount = 100): void => {
    now = at;
    const payload = Uint8Array.of(fragmentCount);
    engine.receive(encodeRequestFrame({ type: FrameType.REQUEST, flags: 0, attempt: 0, session: 7, id }, 5000, METHOD, payload, NO_SPAN, 0, CodecId.MSGPACK), from, at);
  };
  /** The client's FRAGMENT_ACK of the first `cumulative` reply fragments, arriving at `at`. */
  const ack = (from: PeerAddress, id: number, cumulative: number, at: number): void => {
    now = at;
    const body = encodeFragmentAck({ ackedType: FrameType.RESPONSE, cumulative, ranges: [] }, 64);
    engine.receive(encodeFrame({ type: FrameType.FRAGMENT_ACK, flags: 0, attempt: 0, session: 7, id }, body), from, at);
  };
  /**
   * A reply of 100 fragments to `from` over a path with one-way delay `delayMs` and no
   * loss, from the request's arrival at `at` to its last ack: two bursts,
   * two samples of exactly 2·delay. Returns when the last ack arrived.
   */
  const bigReply = (from: PeerAddress, id: number, at: number, delayMs: number): number => {
    const before = sent.length;
    request(from, id, at);
    const first = fragments(from, id, before);
    expect(first).toHaveLength(64);
    expect(first[63]!.flags & Flag.ACK_REQUESTED).toBe(Flag.ACK_REQUESTED);
    const mid = sent.length;
    ack(from, id, 64, at + 2 * delayMs);
    const second = fragments(from, id, mid);
    expect(second).toHaveLength(36);
    expect(second[35]!.flags & Flag.ACK_REQUESTED).toBe(Flag.ACK_REQUESTED);
    ack(from, id, 100, at + 4 * delayMs);
    return at + 4 * delayMs;
  };
  return { engine, sent, fragments, request, ack, bigReply, setNow: (t: number) => (now = t) };
}

/** RFC 6298 §2 over `samples`, then RFC 9002's PTO = SRTT + max(4·RTTVAR, 1 ms): the oracle, computed apart from the engine. */
function ptoOf(samples: number[]): number {
  let srtt = samples[0]!;
  let rttvar = srtt / 2;
  for (const r of samples.slice(1)) {
    rttvar = 0.75 * rttvar + 0.25 * Math.abs(srtt - r);
    srtt = 0.875 * srtt + 0.125 * r;
  }
  return srtt + Math.max(1, 4 * rttvar);
}

describe('one RTT estimator per client address, shared by its reply transfers', () => {
  it("a second large reply to the same client starts from the first one's RTT: its first probe comes one learned PTO (15 ms) after its window, not 200 ms", () => {
    const { engine, fragments, bigReply, request } = rig();
    const A = client(1);
    const D = 3; // one-way delay: every sample is 6 ms
    const done = bigReply(A, 1, 0, D);
    expect(done).toBe(12);
    // Two samples of 6 ms: SRTT 6, RTTVAR 3/4·3 = 2.25, PTO 6 + 9 = 15.
    const pto = ptoOf([6, 6]);
    expect(pto).toBe(15);
    expect(engine.stats()).toMatchObject({ replyProbes: 0, replyLossResends: 0 });
    request(A, 2, 20);
    expect(fragments(A, 2)).toHaveLength(64);
    // Each transfer with its own estimator (before): 20 + 200 = 220.
    expect(engine.nextTimerAt()).toBe(20 + pto);
    engine.onTimer(20 + pto);
    expect(engine.stats()).toMatchObject({ replyProbes: 1 });
    // The probe: the lowest unacknowledged fragment again, with ACK_REQUESTED.
    const probe = fragments(A, 2).at(-1)!;
    expect(probe.fragment!.index).toBe(0);
    expect(probe.flags & Flag.ACK_REQUESTED).toBe(Flag.ACK_REQUESTED);
  });

  it("the second reply's samples feed the same estimator: after it, a third reply's PTO reads all four samples", () => {
    const { engine, bigReply, request } = rig();
    const A = client(1);
    bigReply(A, 1, 0, 3); // samples 6, 6
    bigReply(A, 2, 20, 5); // samples 10, 10 (the path got slower)
    request(A, 3, 100);
    expect(engine.nextTimerAt()).toBe(100 + ptoOf([6, 6, 10, 10]));
  });

  it("Karn's rule still holds on the shared estimator: acks of fragments sent before a probe are no sample, so the next reply starts at the initial PTO", () => {
    const { engine, request, ack } = rig();
    const A = client(1);
    request(A, 1, 0, 64); // one window: all of it at 0
    expect(engine.nextTimerAt()).toBe(INITIAL_PTO_MS);
    engine.onTimer(INITIAL_PTO_MS); // a probe: fragment 0 again
    expect(engine.stats()).toMatchObject({ replyProbes: 1 });
    // The client's ack of the whole reply: 6 ms after the probe, 206 ms after the
    // fragments it covers. Which one it answers is ambiguous: not a sample.
    ack(A, 1, 64, INITIAL_PTO_MS + 6);
    expect(engine.nextTimerAt()).toBeGreaterThan(1000); // the reply is complete: only the cache's timers remain
    request(A, 2, 300);
    // A sample of 206 would have made it 300 + 206 + 412; of 6, 300 + 18.
    expect(engine.nextTimerAt()).toBe(300 + INITIAL_PTO_MS);
  });

  it('two clients keep separate estimates: 3 ms and 10 ms one-way, first probes 15 and 50 ms after the same instant', () => {
    const { engine, sent, bigReply, request } = rig();
    const A = client(1);
    const B = client(2);
    bigReply(A, 1, 0, 3); // samples 6, 6: PTO 15
    bigReply(B, 1, 0, 10); // samples 20, 20: SRTT 20, RTTVAR 7.5, PTO 50
    expect(ptoOf([20, 20])).toBe(50);
    request(A, 2, 100);
    request(B, 2, 100);
    const probes: string[] = [];
    for (let at = engine.nextTimerAt(); at !== undefined && at <= 150; at = engine.nextTimerAt()) {
      const before = sent.length;
      engine.onTimer(at);
      for (const s of sent.slice(before)) probes.push(`${s.to.address} at ${at}`);
    }
    // A: 100 + 15, then backing off, 115 + 2·15; B: 100 + 50. One estimate for both would give them the same first probe.
    expect(probes).toEqual(['10.0.0.1 at 115', '10.0.0.1 at 145', '10.0.0.2 at 150']);
  });
});

describe("the estimator is the source's: charged to sources.maxStateBytes and forgotten with it", () => {
  const SOURCE = SOURCE_STATE_BYTES + SESSION_STATE_BYTES; // an address with one session

  it('made at the first reply in fragments (a reply in one datagram makes none), and charged RTT_STATE_BYTES once', () => {
    const { engine, request, bigReply } = rig();
    const A = client(1);
    request(A, 1, 0, 0);
    expect(engine.stats()).toMatchObject({ sources: 1, sessions: 1, stateBytes: SOURCE });
    bigReply(A, 2, 1, 3);
    bigReply(A, 3, 20, 3);
    expect(engine.stats()).toMatchObject({ sources: 1, sessions: 1, stateBytes: SOURCE + RTT_STATE_BYTES });
  });

  it('goes with its source when maxSources pushes the source out: the address starts over at the initial PTO', () => {
    const { engine, request, bigReply } = rig({ sources: { maxSources: 2 } });
    const [A, B, C] = [client(1), client(2), client(3)];
    bigReply(A, 1, 0, 3);
    request(B, 1, 20, 0);
    expect(engine.stats()).toMatchObject({ sources: 2, stateBytes: 2 * SOURCE + RTT_STATE_BYTES });
    request(C, 1, 21, 0); // A, the least recently seen, is forgotten, estimator and all
    expect(engine.stats()).toMatchObject({ sources: 2, stateBytes: 2 * SOURCE });
    request(A, 2, 30); // A again (B forgotten for it): a new source, a new estimator
    expect(engine.stats()).toMatchObject({ sources: 2, stateBytes: 2 * SOURCE + RTT_STATE_BYTES });
    expect(engine.nextTimerAt()).toBe(30 + INITIAL_PTO_MS);
  });

  it('a new estimator that does not fit in maxStateBytes makes room by forgetting the least recently seen other source', () => {
    // Room for exactly 8 addresses with one session each, no estimator.
    const { engine, request, bigReply } = rig({ sources: { maxStateBytes: 8 * SOURCE } });
    for (let n = 1; n <= 8; n++) request(client(n), 1, n, 0);
    expect(engine.stats()).toMatchObject({ sources: 8, stateBytes: 8 * SOURCE });
    // Client 8's first reply in fragments: its estimator pushes client 1 out.
    bigReply(client(8), 2, 10, 3);
    expect(engine.stats()).toMatchObject({ sources: 7, sessions: 7, stateBytes: 7 * SOURCE + RTT_STATE_BYTES });
    expect(engine.stats().stateBytes).toBeLessThanOrEqual(8 * SOURCE);
  });
});
