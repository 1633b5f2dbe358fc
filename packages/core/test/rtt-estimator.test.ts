import { defaultRetryPolicy } from '@udprpc/core';
import { RttEstimator } from '../src/recovery/rtt-estimator.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

// RFC 6298 §2: α = 1/8, β = 1/4, K = 4; clock granularity G = 1 ms here.
const G = 1;
const unclamped = { initialRtoMs: 200, minRtoMs: 0, maxRtoMs: Number.MAX_VALUE };

/** RFC 6298 §2.2–2.4, written out independently of the implementation. */
function rfc6298(samples: number[], policy: { initialRtoMs: number; minRtoMs: number; maxRtoMs: number }) {
  let srtt: number | undefined;
  let rttvar = 0;
  let rto = policy.initialRtoMs;
  for (const sample of samples) {
    const r = sample < 0 ? 0 : sample;
    if (srtt === undefined) {
      // (2.2) first measurement
      srtt = r;
      rttvar = r / 2;
    } else {
      // (2.3) RTTVAR first, with the SRTT from before this sample
      rttvar = (1 - 1 / 4) * rttvar + (1 / 4) * Math.abs(srtt - r);
      srtt = (1 - 1 / 8) * srtt + (1 / 8) * r;
    }
    rto = srtt + Math.max(G, 4 * rttvar);
    rto = Math.min(policy.maxRtoMs, Math.max(policy.minRtoMs, rto)); // (2.4), (2.5)
  }
  return { srtt, rttvar, rto };
}

const feed = (policy: { initialRtoMs: number; minRtoMs: number; maxRtoMs: number }, samples: number[]): RttEstimator => {
  const est = new RttEstimator(policy);
  for (const s of samples) est.sample(s);
  return est;
};

describe('RttEstimator (RFC 6298)', () => {
  it('starts with the initial RTO and no smoothed RTT', () => {
    const est = new RttEstimator(defaultRetryPolicy);
    expect(est.rtoMs).toBe(defaultRetryPolicy.initialRtoMs);
    expect(est.srttMs).toBeUndefined();
    expect(est.rttvarMs).toBe(0);
  });

  it('first sample R: SRTT = R, RTTVAR = R/2, RTO = SRTT + max(G, 4·RTTVAR)', () => {
    const est = feed(unclamped, [100]);
    expect(est.srttMs).toBe(100);
    expect(est.rttvarMs).toBe(50);
    expect(est.rtoMs).toBe(300);
  });

  it('later samples update RTTVAR with the previous SRTT, then SRTT', () => {
    const est = feed(unclamped, [100, 200]);
    // RTTVAR = 3/4·50 + 1/4·|100 − 200| = 62.5 (62.5 needs the old SRTT: with
    // the new one, 112.5, it would be 59.375); SRTT = 7/8·100 + 1/8·200 = 112.5.
    expect(est.rttvarMs).toBe(62.5);
    expect(est.srttMs).toBe(112.5);
    expect(est.rtoMs).toBe(112.5 + 4 * 62.5);
    est.sample(112.5);
    expect(est.rttvarMs).toBe(0.75 * 62.5);
    expect(est.srttMs).toBe(112.5);
    expect(est.rtoMs).toBe(112.5 + 4 * 0.75 * 62.5);
  });

  it('adds at least the clock granularity G = 1 ms to SRTT', () => {
    expect(feed(unclamped, [0]).rtoMs).toBe(1);
    expect(feed(unclamped, [0.1]).rtoMs).toBeCloseTo(1.1, 12);
    expect(feed(unclamped, [10, 10, 10, 10, 10, 10, 10, 10, 10, 10]).rtoMs).toBeCloseTo(10 + Math.max(1, 4 * 5 * 0.75 ** 9), 9);
    // Constant samples drive RTTVAR to 0, and RTO to SRTT + G.
    expect(feed(unclamped, Array<number>(200).fill(10)).rtoMs).toBeCloseTo(11, 9);
  });

  it('clamps the RTO to [minRtoMs, maxRtoMs]', () => {
    const policy = { initialRtoMs: 200, minRtoMs: 30, maxRtoMs: 60_000 };
    expect(feed(policy, [1]).rtoMs).toBe(30);
    expect(feed(policy, [1]).srttMs).toBe(1); // the clamp does not touch SRTT
    expect(feed(policy, [1_000_000]).rtoMs).toBe(60_000);
    expect(feed(policy, [9]).rtoMs).toBe(30); // 9 + 18 = 27 < 30
    expect(feed(policy, [11]).rtoMs).toBe(33);
  });

  it('treats a negative sample as 0', () => {
    const est = feed(unclamped, [-5]);
    expect(est.srttMs).toBe(0);
    expect(est.rtoMs).toBe(1);
  });

  it('matches the RFC 6298 formulas for any sample sequence and bounds', () => {
    const policy = fc
      .record({ initialRtoMs: fc.integer({ min: 1, max: 10_000 }), a: fc.integer({ min: 0, max: 120_000 }), b: fc.integer({ min: 0, max: 120_000 }) })
      .map(({ initialRtoMs, a, b }) => ({ initialRtoMs, minRtoMs: Math.min(a, b), maxRtoMs: Math.max(a, b) }));
    const samples = fc.array(fc.oneof(fc.double({ min: -10, max: 1e6, noNaN: true }), fc.integer({ min: 0, max: 500 })), { maxLength: 50 });
    fc.assert(
      fc.property(policy, samples, (p, xs) => {
        const est = feed(p, xs);
        const want = rfc6298(xs, p);
        if (want.srtt === undefined) {
          expect(est.srttMs).toBeUndefined();
          expect(est.rtoMs).toBe(p.initialRtoMs);
          return;
        }
        const close = (got: number, expected: number): void => {
          expect(Math.abs(got - expected)).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(expected)));
        };
        close(est.srttMs!, want.srtt);
        close(est.rttvarMs, want.rttvar);
        close(est.rtoMs, want.rto);
        expect(est.rtoMs).toBeGreaterThanOrEqual(p.minRtoMs);
        expect(est.rtoMs).toBeLessThanOrEqual(p.maxRtoMs);
      }),
      { numRuns: 500 },
    );
  });
});
