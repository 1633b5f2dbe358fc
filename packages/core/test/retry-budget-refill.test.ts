// The retry budget's steady refill (flowcontrol/retry-budget.ts): exact
// token counts on a virtual clock, and a clock that steps back (a host
// feeding a non-monotonic `now`) neither adds nor takes away tokens.
import { describe, expect, it } from 'vitest';
import { RetryBudget } from '../src/flowcontrol/retry-budget.js';

describe('RetryBudget refill', () => {
  it('refills minPerSecond per second of elapsed time, only up to burst', () => {
    const b = new RetryBudget({ ratio: 0, burst: 10, minPerSecond: 4 });
    for (let i = 0; i < 10; i++) expect(b.tryRetry(1000)).toBe(true);
    expect(b.tryRetry(1000)).toBe(false);
    expect(b.state(1500)).toEqual({ tokens: 2, deposited: 2, spent: 10, denied: 1 });
    expect(b.state(10_000)).toEqual({ tokens: 10, deposited: 10, spent: 10, denied: 1 });
  });

  it('a `now` earlier than the last one neither adds nor removes tokens, and refill resumes from it', () => {
    const b = new RetryBudget({ ratio: 0, burst: 10, minPerSecond: 1000 });
    for (let i = 0; i < 3; i++) expect(b.tryRetry(5000)).toBe(true);
    expect(b.state(5000)).toEqual({ tokens: 7, deposited: 0, spent: 3, denied: 0 });
    expect(b.state(4000)).toEqual({ tokens: 7, deposited: 0, spent: 3, denied: 0 });
    expect(b.state(4001)).toEqual({ tokens: 8, deposited: 1, spent: 3, denied: 0 });
  });
});
