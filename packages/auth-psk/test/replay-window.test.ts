// The anti-replay window (security.md §4), against a simple model.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ReplayTable, ReplayWindow } from '@udprpc/auth-psk';

describe('ReplayWindow', () => {
  it('accepts each counter once, in any order within the window', () => {
    const w = new ReplayWindow(64);
    for (const c of [10n, 12n, 11n, 5n, 70n, 69n, 8n]) expect(w.accept(c), `counter ${c}`).toBe(true);
    for (const c of [10n, 12n, 11n, 70n, 69n, 8n]) expect(w.accept(c), `again ${c}`).toBe(false);
    expect(w.highest).toBe(70n);
  });

  it('refuses counters that fell out of the window', () => {
    const w = new ReplayWindow(64);
    expect(w.accept(1000n)).toBe(true);
    expect(w.check(1000n - 63n)).toBe(true);
    expect(w.check(1000n - 64n)).toBe(false);
    expect(w.accept(0n)).toBe(false);
  });

  it('still remembers counters in the oldest block after the top enters a new block', () => {
    // The oldest in-window block and the newest share a bitmap slot unless
    // there is a spare block (RFC 6479 §2): without it, 5 would be accepted again.
    const w = new ReplayWindow(32);
    expect(w.accept(5n)).toBe(true);
    expect(w.accept(33n)).toBe(true);
    expect(w.accept(5n)).toBe(false);
    const big = new ReplayWindow(96);
    for (const c of [100n, 190n, 193n]) expect(big.accept(c)).toBe(true);
    expect(big.accept(100n)).toBe(false);
  });

  it('rounds the size up to a multiple of 32 and validates it', () => {
    expect(new ReplayWindow(1).size).toBe(32);
    expect(new ReplayWindow(1000).size).toBe(1024);
    expect(() => new ReplayWindow(0)).toThrow(RangeError);
    expect(() => new ReplayWindow(1.5)).toThrow(RangeError);
    expect(() => new ReplayWindow(1_000_000)).toThrow(RangeError);
  });

  it('slides over huge jumps and the top of the 64-bit range', () => {
    const w = new ReplayWindow(128);
    expect(w.accept(3n)).toBe(true);
    expect(w.accept(0xffff_ffff_ffff_fff0n)).toBe(true);
    expect(w.accept(3n)).toBe(false);
    expect(w.accept(0xffff_ffff_ffff_ffeen)).toBe(true);
    expect(w.accept(0xffff_ffff_ffff_ffeen)).toBe(false);
    expect(w.accept(0xffff_ffff_ffff_ffffn)).toBe(true);
  });

  it('check() never changes the window', () => {
    const w = new ReplayWindow(32);
    expect(w.check(5n)).toBe(true);
    expect(w.check(5n)).toBe(true);
    expect(w.highest).toBeUndefined();
  });

  it('behaves like "accept iff unseen and within size of the highest" for any sequence', () => {
    // Each counter is drawn relative to the highest so far: a little ahead
    // (the window slides, block by block), or back to anywhere from inside
    // the window to just past its edge (replays, and the edge's blocks).
    const scenario = fc.integer({ min: 1, max: 200 }).chain((size) => {
      const span = Math.ceil(size / 32) * 32;
      const step = fc.oneof(
        { weight: 10, arbitrary: fc.integer({ min: -span - 40, max: 40 }) },
        { weight: 1, arbitrary: fc.integer({ min: 0, max: 10 * span }) },
      );
      return fc.tuple(fc.constant(size), fc.bigInt({ min: 0n, max: 1n << 62n }), fc.array(step, { maxLength: 300 }));
    });
    fc.assert(
      fc.property(scenario, ([size, base, steps]) => {
        const w = new ReplayWindow(size);
        const seen = new Set<bigint>();
        let highest: bigint | undefined;
        for (const step of steps) {
          const from = highest ?? base;
          const counter = from + BigInt(step) < 0n ? 0n : from + BigInt(step);
          const fresh = highest === undefined || counter > highest || (highest - counter < BigInt(w.size) && !seen.has(counter));
          expect(w.check(counter), `check ${counter}`).toBe(fresh);
          expect(w.accept(counter), `accept ${counter}`).toBe(fresh);
          if (fresh) {
            seen.add(counter);
            if (highest === undefined || counter > highest) highest = counter;
          }
        }
      }),
      { numRuns: 1000 },
    );
  });
});

describe('ReplayTable', () => {
  it('keeps one window per (key id, sender prefix)', () => {
    const t = new ReplayTable(64, 16);
    expect(t.accept('k1', 1, 5n)).toBe(true);
    expect(t.accept('k1', 2, 5n)).toBe(true);
    expect(t.accept('k2', 1, 5n)).toBe(true);
    expect(t.accept('k1', 1, 5n)).toBe(false);
    expect(t.check('k1', 1, 5n)).toBe(false);
    expect(t.size).toBe(3);
  });

  it('forgets the least recently heard sender when full', () => {
    const t = new ReplayTable(64, 2);
    t.accept('k', 1, 1n);
    t.accept('k', 2, 1n);
    t.accept('k', 1, 2n); // sender 1 heard again: sender 2 is now the oldest
    t.accept('k', 3, 1n);
    expect(t.size).toBe(2);
    expect(t.evicted).toBe(1);
    expect(t.check('k', 1, 1n)).toBe(false); // still remembered
    expect(t.check('k', 2, 1n)).toBe(true); // forgotten: its old counters look fresh
  });
});
