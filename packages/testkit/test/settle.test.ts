import { describe, expect, expectTypeOf, it } from 'vitest';
import { VirtualClock, scheduleCalls, settleAll } from '@udprpc/testkit';

const sleep = (clock: VirtualClock, ms: number) => new Promise<void>((resolve) => clock.setTimer(ms, resolve));

describe('settleAll', () => {
  it('advances virtual time until every promise settles, keeping tuple types', async () => {
    const clock = new VirtualClock();
    const slow = (async () => {
      await sleep(clock, 300);
      await sleep(clock, 200);
      return 'slow';
    })();
    const failing = (async () => {
      await sleep(clock, 100);
      throw new Error('nope');
    })();
    const results = await settleAll(clock, [slow, failing, 42] as const);
    expectTypeOf(results[0]).toEqualTypeOf<PromiseSettledResult<string>>();
    expectTypeOf(results[2]).toEqualTypeOf<PromiseSettledResult<42>>();
    expect(results[0]).toEqual({ status: 'fulfilled', value: 'slow' });
    expect(results[1].status).toBe('rejected');
    expect(results[2]).toEqual({ status: 'fulfilled', value: 42 });
    expect(clock.now()).toBe(500);
  });

  it('leaves later timers queued', async () => {
    const clock = new VirtualClock();
    clock.setTimer(10_000, () => {});
    await settleAll(clock, [sleep(clock, 10)]);
    expect(clock.now()).toBe(10);
    expect(clock.pendingTimers).toBe(1);
  });

  it('explains a promise that can never settle', async () => {
    const clock = new VirtualClock();
    const never = new Promise<void>(() => {});
    await expect(settleAll(clock, [sleep(clock, 5), never])).rejects.toThrow(
      /settleAll: 1 of 2 promise\(s\) still pending .* no timer is pending/,
    );
  });

  it('gives up after maxTimeMs of virtual time', async () => {
    const clock = new VirtualClock();
    await expect(settleAll(clock, [sleep(clock, 60_000)], { maxTimeMs: 1000 })).rejects.toThrow(/not done after 1000/);
  });
});

describe('scheduleCalls', () => {
  it('starts each call at its time and settles like it', async () => {
    const clock = new VirtualClock();
    const started: string[] = [];
    const promises = scheduleCalls(
      clock,
      [
        { startAtMs: 20, input: 'b' },
        { startAtMs: 0, input: 'a' },
        { startAtMs: 20, input: 'c' },
      ],
      async (input, index) => {
        started.push(`${input}#${index}@${clock.now()}`);
        if (input === 'c') throw new Error('c failed');
        await sleep(clock, 5);
        return input.toUpperCase();
      },
    );
    expect(started).toEqual([]);
    const results = await settleAll(clock, promises);
    expect(started).toEqual(['a#1@0', 'b#0@20', 'c#2@20']);
    expect(results.map((r) => (r.status === 'fulfilled' ? r.value : 'rejected'))).toEqual(['B', 'A', 'rejected']);
  });
});
