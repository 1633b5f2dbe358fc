import { describe, expect, it } from 'vitest';
import { sleep, VirtualClock } from '@udprpc/testkit';

describe('sleep', () => {
  it('resolves after the virtual delay, not before', async () => {
    const clock = new VirtualClock();
    let done = false;
    void sleep(clock, 100).then(() => (done = true));
    await clock.runFor(99);
    expect(done).toBe(false);
    await clock.runFor(1);
    expect(done).toBe(true);
    expect(clock.pendingTimers).toBe(0);
  });

  it('rejects with the abort reason and cancels its timer', async () => {
    const clock = new VirtualClock();
    const ac = new AbortController();
    const p = sleep(clock, 100, ac.signal);
    ac.abort(new Error('stop'));
    await expect(p).rejects.toThrow('stop');
    expect(clock.pendingTimers).toBe(0);
    await expect(sleep(clock, 5, ac.signal)).rejects.toThrow('stop');
  });
});
