// The admission queue's slot accounting (flowcontrol/admission-queue.ts):
// how many handlers run and wait, what happens to an item that went stale
// while it waited, and when the queue's array is compacted (it must stay
// O(maxQueued) whatever comes and goes, CONVENTIONS 17).
import { describe, expect, it } from 'vitest';
import { AdmissionQueue, defaultAdmissionLimits, type Admissible } from '../src/flowcontrol/admission-queue.js';

interface Item extends Admissible {
  readonly n: number;
  stale: boolean;
}

const item = (n: number): Item => ({ n, stale: false, holdsSlot: false, inQueue: false, reclaim: undefined });

function queue(maxRunning: number, maxQueued: number) {
  const started: number[] = [];
  const q = new AdmissionQueue<Item>({ ...defaultAdmissionLimits, maxRunning, maxQueued }, (it) => {
    started.push(it.n);
    return !it.stale;
  });
  return { q, started, internals: q as unknown as { queue: Item[]; head: number } };
}

describe('AdmissionQueue slots', () => {
  it('has room while a slot is free even with no queue allowed, and none once every slot is taken', () => {
    const { q } = queue(2, 0);
    expect(q.hasRoom).toBe(true);
    q.submit(item(1));
    expect([q.running, q.queued, q.hasRoom]).toEqual([1, 0, true]);
    q.submit(item(2));
    expect([q.running, q.queued, q.hasRoom]).toEqual([2, 0, false]);
  });

  it('a release starts exactly one waiting item per freed slot, in FIFO order', () => {
    const { q, started } = queue(1, 8);
    const items = [1, 2, 3].map(item);
    items.forEach((i) => q.submit(i));
    expect([q.running, q.queued, started]).toEqual([1, 2, [1]]);
    q.release(items[0]!);
    expect([q.running, q.queued, started]).toEqual([1, 1, [1, 2]]);
    expect([items[1]!.holdsSlot, items[1]!.inQueue, items[2]!.holdsSlot, items[2]!.inQueue]).toEqual([true, false, false, true]);
    // The started item left the queue: withdrawing it now changes nothing.
    q.withdraw(items[1]!);
    expect(q.queued).toBe(1);
    q.release(items[0]!); // holds no slot any more: no-op
    expect([q.running, q.queued, started]).toEqual([1, 1, [1, 2]]);
  });

  it('an item that went stale while it waited gives its slot to the next one at once', () => {
    const { q, started } = queue(1, 8);
    const [a, b, c] = [1, 2, 3].map(item);
    q.submit(a!);
    q.submit(b!);
    q.submit(c!);
    b!.stale = true;
    q.release(a!);
    expect(started).toEqual([1, 2, 3]);
    expect([q.running, q.queued, b!.holdsSlot, c!.holdsSlot]).toEqual([1, 0, false, true]);
  });

  it('a stale item submitted to a free slot does not keep it', () => {
    const { q, started } = queue(1, 8);
    const a = item(1);
    a.stale = true;
    q.submit(a);
    expect([q.running, q.queued, a.holdsSlot, started]).toEqual([0, 0, false, [1]]);
    q.submit(item(2));
    expect([q.running, started]).toEqual([1, [1, 2]]);
  });
});

describe('AdmissionQueue array compaction', () => {
  it('on withdraw: compacts exactly when the entries held exceed 2 × waiting + 64 (head at 0)', () => {
    const { q, started, internals } = queue(1, 1000);
    const first = item(0);
    q.submit(first);
    const items = Array.from({ length: 100 }, (_, k) => item(k + 1));
    items.forEach((i) => q.submit(i));
    // After k withdrawals 100 entries are held for 100 − k waiting: compaction once 100 > 2(100 − k) + 64, at k = 83.
    for (let k = 0; k < 82; k++) q.withdraw(items[k]!);
    expect([internals.head, internals.queue.length, q.queued]).toEqual([0, 100, 18]);
    q.withdraw(items[82]!);
    expect([internals.head, internals.queue.length, q.queued]).toEqual([0, 17, 17]);
    // What is left still runs, in order.
    q.release(first);
    for (let k = 83; k < 99; k++) q.release(items[k]!);
    expect([q.running, q.queued]).toEqual([1, 0]);
    expect(started).toEqual([0, ...items.slice(83).map((i) => i.n)]);
  });

  it('on withdraw: entries before the head count as held (head past 0)', () => {
    const { q, internals } = queue(1, 1000);
    const first = item(0);
    q.submit(first);
    const items = Array.from({ length: 100 }, (_, k) => item(k + 1));
    items.forEach((i) => q.submit(i));
    q.release(first); // item 1 runs: head 1, 99 waiting
    expect([internals.head, q.queued]).toEqual([1, 99]);
    // 99 held after the head for 99 − k waiting: compaction once 99 > 2(99 − k) + 64, at k = 82.
    for (let k = 1; k <= 81; k++) q.withdraw(items[k]!);
    expect([internals.head, internals.queue.length, q.queued]).toEqual([1, 100, 18]);
    q.withdraw(items[82]!);
    expect([internals.head, internals.queue.length, q.queued]).toEqual([0, 17, 17]);
    expect(internals.queue.every((i) => i.inQueue)).toBe(true);
  });

  it('on drain: once the head is past 1024 and past half the array, not before', () => {
    const { q, internals } = queue(1, 5000);
    const running = [item(0)];
    q.submit(running[0]!);
    for (let n = 1; n <= 3000; n++) q.submit(item(n));
    const releaseNext = () => {
      const r = running.pop()!;
      q.release(r);
      running.push(internals.queue[internals.head - 1]!);
    };
    for (let k = 0; k < 1025; k++) releaseNext();
    expect([internals.head, internals.queue.length]).toEqual([1025, 3000]);
    for (let k = 1025; k < 1500; k++) releaseNext();
    expect([internals.head, internals.queue.length]).toEqual([1500, 3000]); // 2 × 1500 is not more than 3000
    q.release(running.pop()!);
    expect([internals.head, internals.queue.length, q.queued, q.running]).toEqual([0, 1499, 1499, 1]);
  });

  it('on drain: a head of exactly 1024 is not compacted, 1025 is', () => {
    const { q, internals } = queue(1, 5000);
    let running = item(0);
    q.submit(running);
    for (let n = 1; n <= 1100; n++) q.submit(item(n));
    for (let k = 0; k < 1024; k++) {
      q.release(running);
      running = internals.queue[internals.head - 1]!;
    }
    expect([internals.head, internals.queue.length]).toEqual([1024, 1100]);
    q.release(running);
    expect([internals.head, internals.queue.length, q.queued]).toEqual([0, 75, 75]);
  });
});
