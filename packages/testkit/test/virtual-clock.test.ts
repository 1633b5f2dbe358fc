import { MAX_TIMER_DELAY_MS, TimerDriver } from '@udprpc/core/engine';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '@udprpc/testkit';

describe('VirtualClock: synchronous semantics', () => {
  it('starts at startMs and does not move on its own', () => {
    const clock = new VirtualClock({ startMs: 1000 });
    expect(clock.now()).toBe(1000);
    clock.setTimer(0, () => {});
    expect(clock.now()).toBe(1000);
    expect(clock.pendingTimers).toBe(1);
  });

  it('fires in due-time order, ties in scheduling order, each at its own time', () => {
    const clock = new VirtualClock();
    const log: string[] = [];
    const at = (name: string) => () => log.push(`${name}@${clock.now()}`);
    clock.setTimer(30, at('c'));
    clock.setTimer(10, at('a1'));
    clock.setTimer(20, at('b'));
    clock.setTimer(10, at('a2'));
    clock.setTimer(10, at('a3'));
    expect(clock.advance(25)).toBe(4);
    expect(log).toEqual(['a1@10', 'a2@10', 'a3@10', 'b@20']);
    expect(clock.now()).toBe(25);
    clock.advance(5);
    expect(log.at(-1)).toBe('c@30');
    expect(clock.pendingTimers).toBe(0);
  });

  it('runs timers set by callbacks inside the window, and not those past it', () => {
    const clock = new VirtualClock();
    const log: number[] = [];
    clock.setTimer(10, () => {
      log.push(clock.now());
      clock.setTimer(5, () => log.push(clock.now())); // due at 15: inside
      clock.setTimer(0, () => log.push(clock.now())); // due at 10, after the first
      clock.setTimer(50, () => log.push(clock.now())); // due at 60: outside
    });
    clock.advance(20);
    expect(log).toEqual([10, 10, 15]);
    expect(clock.pendingTimers).toBe(1);
    expect(clock.nextTimerAt()).toBe(60);
  });

  it('fires a timer due exactly at the end of the window', () => {
    const clock = new VirtualClock();
    let fired = false;
    clock.setTimer(10, () => (fired = true));
    clock.advance(10);
    expect(fired).toBe(true);
  });

  it('cancel removes a timer; cancelling twice or after firing is harmless', () => {
    const clock = new VirtualClock();
    const log: string[] = [];
    const a = clock.setTimer(10, () => log.push('a'));
    const b = clock.setTimer(10, () => log.push('b'));
    a.cancel();
    a.cancel();
    expect(clock.pendingTimers).toBe(1);
    clock.advance(10);
    b.cancel();
    expect(log).toEqual(['b']);
    expect(clock.pendingTimers).toBe(0);
  });

  it('a callback may cancel a later timer of the same window', () => {
    const clock = new VirtualClock();
    const log: string[] = [];
    const later = clock.setTimer(20, () => log.push('later'));
    clock.setTimer(10, () => later.cancel());
    clock.advance(100);
    expect(log).toEqual([]);
  });

  it('runNext fires one timer and moves time to it; false when idle', () => {
    const clock = new VirtualClock();
    clock.setTimer(7, () => {});
    clock.setTimer(3, () => {});
    expect(clock.runNext()).toBe(true);
    expect(clock.now()).toBe(3);
    expect(clock.runNext()).toBe(true);
    expect(clock.now()).toBe(7);
    expect(clock.runNext()).toBe(false);
    expect(clock.now()).toBe(7);
  });

  it('clamps delays like the system clock: negative and NaN to 0, huge to 2^31-1', () => {
    const clock = new VirtualClock();
    clock.setTimer(-5, () => {});
    clock.setTimer(Number.NaN, () => {});
    clock.setTimer(Number.POSITIVE_INFINITY, () => {});
    expect(clock.advance(0)).toBe(2);
    expect(clock.nextTimerAt()).toBe(MAX_TIMER_DELAY_MS);
  });

  it('refuses to go backwards and to be re-entered from a callback', () => {
    const clock = new VirtualClock({ startMs: 50 });
    expect(() => clock.advance(-1)).toThrow(RangeError);
    expect(() => clock.advanceTo(49)).toThrow(/backwards/);
    clock.setTimer(1, () => clock.advance(1));
    expect(() => clock.advance(1)).toThrow(/inside a timer callback/);
  });

  it('throws a clear error instead of looping forever on a zero-delay re-arm', () => {
    const clock = new VirtualClock();
    const rearm = (): void => void clock.setTimer(0, rearm);
    rearm();
    expect(() => clock.advance(1, { maxSteps: 1000 })).toThrow(/fired 1000 timers/);
  });

  it('propagates callback errors and stays consistent', () => {
    const clock = new VirtualClock();
    clock.setTimer(5, () => {
      throw new Error('boom');
    });
    clock.setTimer(6, () => {});
    expect(() => clock.advance(10)).toThrow('boom');
    expect(clock.now()).toBe(5);
    expect(clock.pendingTimers).toBe(1);
    clock.advance(10);
    expect(clock.now()).toBe(15);
  });

  it('property: any set/cancel program fires live timers sorted by (time, order), time monotonic', () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('set' as const), delay: fc.integer({ min: 0, max: 100 }) }),
      fc.record({ kind: fc.constant('cancel' as const), index: fc.nat() }),
      fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 60 }) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
        const clock = new VirtualClock();
        const handles: { cancel(): void }[] = [];
        const expected: { at: number; seq: number }[] = [];
        const cancelled = new Set<number>();
        const fired: { at: number; seq: number; now: number }[] = [];
        let lastNow = 0;
        for (const o of ops) {
          if (o.kind === 'set') {
            const seq = handles.length;
            const at = clock.now() + o.delay;
            expected.push({ at, seq });
            handles.push(clock.setTimer(o.delay, () => fired.push({ at, seq, now: clock.now() })));
          } else if (o.kind === 'cancel' && handles.length > 0) {
            const i = o.index % handles.length;
            if (!fired.some((f) => f.seq === i)) cancelled.add(i);
            handles[i]!.cancel();
          } else if (o.kind === 'advance') {
            clock.advance(o.ms);
          }
          expect(clock.now()).toBeGreaterThanOrEqual(lastNow);
          lastNow = clock.now();
        }
        clock.advance(1000);
        const live = expected.filter((e) => !cancelled.has(e.seq));
        for (const f of fired) expect(f.now).toBe(f.at);
        expect(fired.map((f) => f.seq).sort((x, y) => x - y)).toEqual(live.map((e) => e.seq));
        for (let i = 1; i < fired.length; i++) {
          const p = fired[i - 1]!;
          const f = fired[i]!;
          expect(p.at < f.at || (p.at === f.at && p.seq < f.seq)).toBe(true);
        }
      }),
      { numRuns: 200, seed: 20251125 },
    );
  });
});

describe('VirtualClock: async runs', () => {
  it('runUntil(time) lets promise chains started by timers progress between timers', async () => {
    const clock = new VirtualClock();
    const log: string[] = [];
    const sleep = (ms: number) => new Promise<void>((resolve) => clock.setTimer(ms, resolve));
    const task = async (): Promise<void> => {
      await sleep(10);
      log.push(`a@${clock.now()}`);
      await sleep(10);
      log.push(`b@${clock.now()}`);
    };
    void task();
    expect(await clock.runUntil(15)).toBe(1);
    expect(log).toEqual(['a@10']);
    expect(clock.now()).toBe(15);
    await clock.runFor(100);
    expect(log).toEqual(['a@10', 'b@20']);
    expect(clock.now()).toBe(115);
  });

  it('runUntil(predicate) stops as soon as it holds', async () => {
    const clock = new VirtualClock();
    let count = 0;
    const tick = (): void => {
      count++;
      clock.setTimer(10, tick);
    };
    clock.setTimer(10, tick);
    await clock.runUntil(() => count === 3);
    expect(clock.now()).toBe(30);
  });

  it('runUntil(predicate) rejects when nothing is left to fire', async () => {
    const clock = new VirtualClock();
    clock.setTimer(5, () => {});
    await expect(clock.runUntil(() => false)).rejects.toThrow(/no timer is pending at t=5 ms/);
  });

  it('runUntil(predicate) and runAll respect maxTimeMs and maxSteps', async () => {
    const clock = new VirtualClock();
    const tick = (): void => void clock.setTimer(100, tick);
    tick();
    await expect(clock.runUntil(() => false, { maxTimeMs: 1000 })).rejects.toThrow(/not done after 1000 virtual ms/);
    await expect(clock.runAll({ maxTimeMs: 500 })).rejects.toThrow(/maxTimeMs/);
    await expect(clock.runAll({ maxSteps: 3 })).rejects.toThrow(/fired 3 timers/);
  });

  it('runAll empties the queue, including timers set along the way', async () => {
    const clock = new VirtualClock();
    let depth = 0;
    const step = async (): Promise<void> => {
      await Promise.resolve();
      if (++depth < 5) clock.setTimer(50, () => void step());
    };
    clock.setTimer(50, () => void step());
    expect(await clock.runAll()).toBe(5);
    expect(depth).toBe(5);
    expect(clock.now()).toBe(250);
  });

  it('refuses two concurrent runs on one clock', async () => {
    const clock = new VirtualClock();
    clock.setTimer(10, () => {});
    const first = clock.runFor(20);
    await expect(clock.runFor(20)).rejects.toThrow(/already in progress/);
    await first;
  });

  it('drives core TimerDriver: one armed timer, re-armed earlier, fired at the deadline', () => {
    const clock = new VirtualClock();
    const deadlines = [50, 20];
    const fired: number[] = [];
    const engine = {
      onTimer(now: number) {
        fired.push(now);
        deadlines.splice(0, deadlines.length, ...deadlines.filter((d) => d > now));
      },
      nextTimerAt: () => (deadlines.length === 0 ? undefined : Math.min(...deadlines)),
    };
    const driver = new TimerDriver(engine, clock);
    driver.update();
    expect(clock.pendingTimers).toBe(1);
    clock.advance(100);
    expect(fired).toEqual([20, 50]);
    driver.close();
  });
});
