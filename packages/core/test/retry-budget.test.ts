import { type RetryBudgetPolicy } from '@udprpc/core';
import { defaultRetryBudget, RetryBudget } from '@udprpc/core/engine';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

type Op = { op: 'call' } | { op: 'retry'; dtMs: number } | { op: 'state'; dtMs: number };

const dt = fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 50 }), fc.integer({ min: 0, max: 5000 }), fc.double({ min: 0, max: 100, noNaN: true }));
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 2, arbitrary: fc.constant({ op: 'call' as const }) },
  { weight: 5, arbitrary: dt.map((dtMs) => ({ op: 'retry' as const, dtMs })) },
  { weight: 1, arbitrary: dt.map((dtMs) => ({ op: 'state' as const, dtMs })) },
);
const policy: fc.Arbitrary<RetryBudgetPolicy> = fc.record({
  ratio: fc.oneof(fc.constantFrom(0, 0.1, 0.5, 1, 2), fc.double({ min: 0, max: 5, noNaN: true })),
  burst: fc.oneof(fc.integer({ min: 0, max: 10 }), fc.constant(100)),
  minPerSecond: fc.oneof(fc.constantFrom(0, 1, 10), fc.double({ min: 0, max: 100, noNaN: true })),
});

/** Runs `ops` from time `start` (time only moves forward, as with a monotonic clock). */
function run(p: RetryBudgetPolicy, ops: Op[], start = 1000) {
  const budget = new RetryBudget(p);
  let now = start;
  let firstTimedAt: number | undefined;
  let calls = 0;
  let allowed = 0;
  let denied = 0;
  const answers: boolean[] = [];
  for (const o of ops) {
    if (o.op === 'call') {
      budget.onCall();
      calls++;
      continue;
    }
    now += o.dtMs;
    firstTimedAt ??= now;
    if (o.op === 'retry') {
      const ok = budget.tryRetry(now);
      answers.push(ok);
      if (ok) allowed++;
      else denied++;
    } else {
      budget.state(now);
    }
  }
  const elapsedMs = firstTimedAt === undefined ? 0 : now - firstTimedAt;
  return { budget, now, calls, allowed, denied, answers, elapsedMs };
}

describe('RetryBudget', () => {
  it('holds ratio per call in flight above burst, so a burst of calls can all retry', () => {
    const budget = new RetryBudget({ ratio: 2, burst: 10, minPerSecond: 0 });
    for (let i = 1; i <= 100; i++) budget.onCall(i);
    // 10 + 2·100 = 210 tokens, not 10.
    let allowed = 0;
    while (budget.tryRetry(0)) allowed++;
    expect(allowed).toBe(210);
  });

  it('never allows more retries than burst + ratio·calls + minPerSecond·elapsed', () => {
    fc.assert(
      fc.property(policy, fc.array(op, { maxLength: 200 }), (p, ops) => {
        const { allowed, calls, elapsedMs } = run(p, ops);
        const bound = p.burst + p.ratio * calls + (p.minPerSecond * elapsedMs) / 1000;
        expect(allowed).toBeLessThanOrEqual(bound + 1e-9);
      }),
      { numRuns: 500 },
    );
  });

  it('keeps its books: tokens in [0, burst + ratio], spent + denied = retries asked, deposits = ratio·calls + refill actually added', () => {
    fc.assert(
      fc.property(policy, fc.array(op, { maxLength: 200 }), (p, ops) => {
        const { budget, now, calls, allowed, denied, elapsedMs } = run(p, ops);
        const s = budget.state(now);
        expect(s.spent).toBe(allowed);
        expect(s.denied).toBe(denied);
        expect(s.tokens).toBeGreaterThanOrEqual(0);
        // One call in flight at a time here (onCall() defaults to 1): the cap is burst + ratio.
        expect(s.tokens).toBeLessThanOrEqual(p.burst + p.ratio + 1e-9);
        expect(s.tokens).toBeLessThanOrEqual(p.burst + s.deposited - s.spent + 1e-9);
        // The steady refill only counts what it actually added (it tops up to burst).
        const most = p.ratio * calls + (p.minPerSecond * elapsedMs) / 1000;
        expect(s.deposited).toBeGreaterThanOrEqual(p.ratio * calls - 1e-9 * Math.max(1, most));
        expect(s.deposited).toBeLessThanOrEqual(most + 1e-9 * Math.max(1, most));
      }),
      { numRuns: 500 },
    );
  });

  it('says yes exactly when a token bucket (start full, +ratio per call up to burst + ratio·inFlight, +minPerSecond up to burst) has a token', () => {
    fc.assert(
      fc.property(policy, fc.array(op, { maxLength: 200 }), (p, ops) => {
        const { answers } = run(p, ops);
        // The bucket, by the definition in RetryBudgetPolicy's TSDoc.
        let tokens = p.burst;
        let last: number | undefined;
        let now = 1000;
        const expected: boolean[] = [];
        for (const o of ops) {
          if (o.op === 'call') {
            tokens = Math.min(p.burst + p.ratio, tokens + p.ratio);
            continue;
          }
          now += o.dtMs;
          if (last !== undefined && tokens < p.burst) tokens = Math.min(p.burst, tokens + ((now - last) / 1000) * p.minPerSecond);
          last = now;
          if (o.op === 'retry') {
            expected.push(tokens >= 1);
            if (tokens >= 1) tokens -= 1;
          }
        }
        expect(answers).toEqual(expected);
      }),
      { numRuns: 500 },
    );
  });

  it('starts full: allows burst retries at once, then none without calls or time', () => {
    const budget = new RetryBudget({ ratio: 2, burst: 3, minPerSecond: 0 });
    expect([1, 2, 3, 4].map(() => budget.tryRetry(0))).toEqual([true, true, true, false]);
    expect(budget.tryRetry(1e9)).toBe(false);
    expect(budget.state(1e9)).toEqual({ tokens: 0, deposited: 0, spent: 3, denied: 2 });
  });

  it('earns ratio tokens per call (fractions accumulate)', () => {
    const budget = new RetryBudget({ ratio: 0.5, burst: 0, minPerSecond: 0 });
    expect(budget.tryRetry(0)).toBe(false);
    budget.onCall();
    // The bucket holds at most burst + ratio per call in flight = 0.5 tokens: not one retry yet.
    expect(budget.tryRetry(0)).toBe(false);
    const roomy = new RetryBudget({ ratio: 0.5, burst: 10, minPerSecond: 0 });
    for (let i = 0; i < 10; i++) roomy.tryRetry(0);
    roomy.onCall();
    expect(roomy.tryRetry(0)).toBe(false);
    roomy.onCall();
    expect(roomy.tryRetry(0)).toBe(true);
    expect(roomy.tryRetry(0)).toBe(false);
  });

  it('refills at minPerSecond while idle, up to burst', () => {
    const budget = new RetryBudget({ ratio: 0, burst: 2, minPerSecond: 10 });
    expect(budget.tryRetry(0)).toBe(true);
    expect(budget.tryRetry(0)).toBe(true);
    expect(budget.tryRetry(0)).toBe(false);
    expect(budget.tryRetry(99)).toBe(false); // 0.99 token
    expect(budget.tryRetry(101)).toBe(true); // 1.01
    expect(budget.state(60_000).tokens).toBe(2); // capped after a long pause
    expect([1, 2, 3].map(() => budget.tryRetry(60_000))).toEqual([true, true, false]);
  });

  it('has the documented defaults', () => {
    expect(defaultRetryBudget).toEqual({ ratio: 2, burst: 100, minPerSecond: 10 });
    expect(Object.isFrozen(defaultRetryBudget)).toBe(true);
  });
});
