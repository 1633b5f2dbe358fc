import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SimNetwork, VirtualClock, asymmetricConditions, callSchedule, netConditions, seeds } from '@udprpc/testkit';

const params = { numRuns: 200, seed: 7 };

describe('arbitraries', () => {
  it('netConditions stays within its bounds and is accepted by SimNetwork', () => {
    fc.assert(
      fc.property(netConditions({ maxLoss: 0.5, maxDuplicate: 0.1, maxDelayMs: 30, maxCorrupt: 0.05 }), (c) => {
        expect(c.loss).toBeGreaterThanOrEqual(0);
        expect(c.loss).toBeLessThanOrEqual(0.5);
        expect(c.duplicate).toBeLessThanOrEqual(0.1);
        expect(c.corrupt).toBeLessThanOrEqual(0.05);
        const delay = c.delayMs as { min: number; max: number };
        expect(0 <= delay.min && delay.min <= delay.max && delay.max <= 30).toBe(true);
        const net = new SimNetwork({ clock: new VirtualClock(), seed: 1 });
        net.setLink('a', 'b', c);
      }),
      params,
    );
  });

  it('netConditions leaves corruption out by default and shrinks to a perfect link', () => {
    fc.assert(
      fc.property(netConditions(), (c) => {
        expect(c).not.toHaveProperty('corrupt');
      }),
      params,
    );
    const failure = fc.check(fc.property(netConditions(), () => false), { seed: 1 });
    expect(failure.counterexample).toEqual([
      { loss: 0, duplicate: 0, delayMs: { min: 0, max: 0 }, reorder: 0, reorderDelayMs: 1 },
    ]);
  });

  it('asymmetricConditions gives two directions', () => {
    const [sample] = fc.sample(asymmetricConditions({ maxLoss: 0.1 }), { numRuns: 1, seed: 3 });
    expect(Object.keys(sample!).sort()).toEqual(['down', 'up']);
  });

  it('callSchedule is sorted by start, bounded, and carries inputs', () => {
    fc.assert(
      fc.property(callSchedule(fc.integer(), { minCalls: 2, maxCalls: 5, maxStartMs: 100 }), (schedule) => {
        expect(schedule.length).toBeGreaterThanOrEqual(2);
        expect(schedule.length).toBeLessThanOrEqual(5);
        for (let i = 0; i < schedule.length; i++) {
          const e = schedule[i]!;
          expect(Number.isInteger(e.input)).toBe(true);
          expect(e.startAtMs >= 0 && e.startAtMs <= 100).toBe(true);
          if (i > 0) expect(schedule[i - 1]!.startAtMs).toBeLessThanOrEqual(e.startAtMs);
        }
      }),
      params,
    );
  });

  it('seeds are unsigned 32-bit integers', () => {
    fc.assert(fc.property(seeds(), (s) => Number.isInteger(s) && s >= 0 && s < 2 ** 32), params);
  });

  it('rejects impossible bounds', () => {
    expect(() => netConditions({ maxLoss: 2 })).toThrow(RangeError);
    expect(() => netConditions({ maxDelayMs: -1 })).toThrow(RangeError);
  });
});
