// The protocol's timing defaults (recovery/retry-policy.ts), value by value:
// docs/semantics.md documents each ("keep both in step"). Not read from the
// doc here: the mutation run's sandbox leaves docs/ out.
import { describe, expect, it } from 'vitest';
import { defaultCallPolicy, defaultDedupPolicy, defaultRetryBudget, defaultRetryPolicy, defaultSizes } from '../src/recovery/retry-policy.js';

describe('retry-policy defaults', () => {
  it('are exactly these, frozen', () => {
    expect(defaultRetryPolicy).toEqual({
      initialRtoMs: 200,
      minRtoMs: 30,
      maxRtoMs: 60_000,
      maxBackoffMs: 250,
      backoffMultiplier: 2,
      jitterRatio: 0.2,
      maxAttempts: 64,
      ackedProbeIntervalMs: 1000,
      maxRefusals: 3,
    });
    expect(defaultRetryBudget).toEqual({ ratio: 2, burst: 100, minPerSecond: 10 });
    expect(defaultCallPolicy).toEqual({ timeoutMs: 5000 });
    expect(defaultDedupPolicy).toEqual({ graceMs: 2000, maxBytes: 64 * 1024 * 1024, maxDeadlineMs: 600_000 });
    expect(defaultSizes).toEqual({ maxDatagramBytes: 1200 });
    for (const o of [defaultRetryPolicy, defaultRetryBudget, defaultCallPolicy, defaultDedupPolicy, defaultSizes]) expect(Object.isFrozen(o)).toBe(true);
  });
});
