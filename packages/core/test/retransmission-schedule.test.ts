// The retransmission schedule of an unanswered call (retry-policy.ts,
// docs/semantics.md "Worst case: datagrams per call within a 5 s deadline"):
// the first gap is the peer's RTO, each next one doubles up to 250 ms, and
// each is multiplied by 0.8 + 0.4·r with r from the injected RNG. These tests
// drive the real ClientEngine against a silent server and check every gap
// against that formula, and the documented copy counts, up to the worst case
// of 28 copies in 5 s.
import { describe, expect, it } from 'vitest';
import { ClientEngine } from '../src/client/client-engine.js';
import { FrameType } from '../src/wire/frame-header.js';
import { encodeFrame } from '../src/wire/frame.js';
import { defaultCallPolicy, defaultRetryPolicy } from '../src/recovery/retry-policy.js';
import { framesOf, METHOD, seeded, SERVER } from './engine-pair.js';

interface Run {
  /** Send times of the REQUEST copies, relative to the call's start. */
  copies: number[];
  /** Send times of CANCELs, relative to the call's start. */
  cancels: number[];
  /** Every value the engine drew from its RNG after the call started. */
  draws: number[];
  outcome: unknown;
}

/**
 * One call to a server that never answers, with a 5 s deadline. `knownFast`
 * first gives the peer an RTT sample of 0 ms (RTO at its 30 ms floor).
 */
function silentCall(random: () => number, knownFast: boolean): Run {
  let now = 0;
  let recording = false;
  const draws: number[] = [];
  const sent: Array<{ at: number; bytes: Uint8Array }> = [];
  const engine = new ClientEngine({
    send: (bytes) => sent.push({ at: now, bytes }),
    random: () => {
      const r = random();
      if (recording) draws.push(r);
      return r;
    },
  });
  if (knownFast) {
    const id = engine.call({ peer: SERVER, method: METHOD, payload: new Uint8Array(0), deadlineAt: 5000 }, 0, () => {}) as number;
    engine.receive(encodeFrame({ type: FrameType.RESPONSE, flags: 0, attempt: 0, session: engine.session, id }, new Uint8Array(0)), SERVER, 0);
    expect(engine.peerTiming(SERVER)).toEqual({ srttMs: 0, rtoMs: defaultRetryPolicy.minRtoMs });
    now = 1000;
  }
  const start = now;
  sent.length = 0;
  recording = true;
  let outcome: unknown;
  engine.call({ peer: SERVER, method: METHOD, payload: new Uint8Array(0), deadlineAt: start + defaultCallPolicy.timeoutMs }, start, (o) => (outcome = o));
  for (let steps = 0; engine.nextTimerAt() !== undefined; steps++) {
    if (steps > 1000) throw new Error('runaway timer');
    now = engine.nextTimerAt()!;
    engine.onTimer(now);
  }
  const frames = sent.flatMap((s) => framesOf(s.bytes).map((f) => ({ at: s.at - start, f })));
  return {
    copies: frames.filter((x) => x.f.type === FrameType.REQUEST).map((x) => x.at),
    cancels: frames.filter((x) => x.f.type === FrameType.CANCEL).map((x) => x.at),
    draws,
    outcome,
  };
}

/** The gaps before jitter: RTO, doubling, capped at maxBackoffMs. */
function baseGaps(rtoMs: number, n: number): number[] {
  const gaps: number[] = [];
  let g = rtoMs;
  for (let i = 0; i < n; i++) {
    gaps.push(g);
    g = Math.min(defaultRetryPolicy.maxBackoffMs, g * defaultRetryPolicy.backoffMultiplier);
  }
  return gaps;
}

const ALMOST_ONE = 1 - 2 ** -40;

describe('retransmission schedule of an unanswered call', () => {
  for (const [peer, knownFast, rto] of [
    ['new peer (RTO 200)', false, 200],
    ['known fast peer (RTO 30)', true, 30],
  ] as const) {
    it(`${peer}: every gap is exactly base × (0.8 + 0.4·r), base = ${rto}, ×2, … capped at 250 ms`, () => {
      for (const seed of [1, 2, 3, 4, 5]) {
        const run = silentCall(seeded(seed), knownFast);
        const gaps = run.copies.slice(1).map((t, i) => t - run.copies[i]!);
        const bases = baseGaps(rto, gaps.length);
        // One draw per scheduled retransmission; the last one is cut short by the deadline.
        expect(run.draws).toHaveLength(run.copies.length);
        gaps.forEach((gap, i) => {
          const j = defaultRetryPolicy.jitterRatio;
          expect(gap).toBeCloseTo(bases[i]! * (1 - j + 2 * j * run.draws[i]!), 9);
          expect(gap).toBeGreaterThanOrEqual(0.8 * bases[i]!);
          expect(gap).toBeLessThan(1.2 * bases[i]!);
        });
        // The deadline ends it: one CANCEL, exactly at 5 s; no copy at or after it.
        expect(run.cancels).toEqual([5000]);
        expect(run.copies[run.copies.length - 1]).toBeLessThan(5000);
        expect(run.outcome).toMatchObject({ ok: false, error: { code: 'DEADLINE_EXCEEDED' } });
      }
    });
  }

  // docs/semantics.md, table "Worst case: datagrams per call within a 5 s deadline".
  for (const [peer, knownFast, counts] of [
    ['new peer (RTO 200)', false, { slowest: 17, average: 21, fastest: 26 }],
    ['known fast peer (RTO 30)', true, { slowest: 19, average: 23, fastest: 28 }],
  ] as const) {
    it(`${peer}: ${counts.fastest} copies in 5 s when every factor is 0.8, ${counts.average} at 1.0, ${counts.slowest} near 1.2`, () => {
      expect(silentCall(() => 0, knownFast).copies).toHaveLength(counts.fastest);
      expect(silentCall(() => 0.5, knownFast).copies).toHaveLength(counts.average);
      expect(silentCall(() => ALMOST_ONE, knownFast).copies).toHaveLength(counts.slowest);
    });
  }

  it('the worst case is 28 copies and one CANCEL: at factor 0.8 from the RTO floor, copies at 0, 24, 72, 168, 360, then every 200 ms', () => {
    const run = silentCall(() => 0, true);
    const expected = [0, 24, 72, 168, ...[...Array(24).keys()].map((k) => 360 + 200 * k)];
    expect(run.copies).toHaveLength(28);
    run.copies.forEach((t, i) => expect(t).toBeCloseTo(expected[i]!, 9));
    expect(run.cancels).toEqual([5000]);
    // No seed does worse: a random schedule never exceeds it.
    for (let seed = 0; seed < 50; seed++) expect(silentCall(seeded(seed), true).copies.length).toBeLessThanOrEqual(28);
  });
});
