// The admission queue's two exits added for issue 11.7: a waiting call
// withdrawn (cancelled, deadline passed) frees its place at once and is never
// started; an aborted handler's slot is taken back at the time given, unless
// it returned first. And the queue's array stays O(maxQueued) however many
// calls are withdrawn while every slot is taken.
import { describe, expect, it } from 'vitest';
import { AdmissionQueue, defaultAdmissionLimits, type Admissible } from '../src/flowcontrol/admission-queue.js';

interface Item extends Admissible {
  readonly n: number;
}

const item = (n: number): Item => ({ n, holdsSlot: false, inQueue: false, reclaim: undefined });

function queue(maxRunning: number, maxQueued: number) {
  const started: number[] = [];
  const q = new AdmissionQueue<Item>({ ...defaultAdmissionLimits, maxRunning, maxQueued }, (it) => {
    started.push(it.n);
    return true;
  });
  return { q, started };
}

describe('AdmissionQueue.withdraw', () => {
  it('frees the place at once, and a withdrawn item never starts', () => {
    const { q, started } = queue(1, 2);
    const [a, b, c, d] = [1, 2, 3, 4].map(item);
    q.submit(a!);
    q.submit(b!);
    q.submit(c!);
    expect([q.running, q.queued, q.hasRoom]).toEqual([1, 2, false]);
    q.withdraw(b!);
    q.withdraw(b!); // twice is a no-op
    expect([q.queued, q.hasRoom]).toEqual([1, true]);
    q.submit(d!);
    q.release(a!);
    q.release(c!);
    expect(started).toEqual([1, 3, 4]);
    expect([q.running, q.queued]).toEqual([1, 0]);
  });

  it('keeps its array bounded while every slot is held and items come and go', () => {
    const { q } = queue(1, 4);
    q.submit(item(0));
    for (let n = 1; n <= 100_000; n++) {
      const it = item(n);
      q.submit(it);
      q.withdraw(it);
    }
    expect(q.queued).toBe(0);
    const held = (q as unknown as { queue: Item[]; head: number }).queue.length - (q as unknown as { head: number }).head;
    expect(held).toBeLessThanOrEqual(2 * 4 + 64 + 1);
  });
});

describe('AdmissionQueue.reclaimAt', () => {
  it('takes the slot back at the given time and starts the next item; counts an overrun', () => {
    const { q, started } = queue(1, 1);
    const [a, b] = [1, 2].map(item);
    q.submit(a!);
    q.submit(b!);
    q.reclaimAt(a!, 1000);
    q.reclaimAt(a!, 5000); // the first time given stands
    expect(q.nextTimerAt()).toBe(1000);
    q.onTimer(999);
    expect([q.running, q.queued, q.overruns]).toEqual([1, 1, 0]);
    q.onTimer(1000);
    expect([q.running, q.queued, q.overruns, a!.holdsSlot]).toEqual([1, 0, 1, false]);
    expect(started).toEqual([1, 2]);
    q.release(a!); // the overrunning handler returns late: no second release
    expect([q.running, q.overruns]).toEqual([1, 1]);
    expect(q.nextTimerAt()).toBeUndefined();
  });

  it('a handler that returns within its grace cancels the reclaim; no slot, no reclaim', () => {
    const { q } = queue(2, 0);
    const [a, b] = [1, 2].map(item);
    q.reclaimAt(a!, 10); // holds no slot: nothing to take back
    expect(q.nextTimerAt()).toBeUndefined();
    q.submit(a!);
    q.submit(b!);
    q.reclaimAt(a!, 10);
    q.release(a!);
    expect(q.nextTimerAt()).toBeUndefined();
    q.onTimer(10);
    expect([q.running, q.overruns]).toEqual([1, 0]);
  });
});
