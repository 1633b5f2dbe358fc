import { TimerHeap, type Timed } from '@udprpc/core/engine';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

interface Item extends Timed {
  readonly name: number;
}

const newItem = (name: number): Item => ({ name, timerAt: 0, heapIndex: -1 });

type Op =
  | { op: 'set'; item: number; at: number }
  | { op: 'delete'; item: number }
  | { op: 'popDue'; now: number }
  | { op: 'drain'; now: number };

// Few distinct items and a small time range, so that re-setting, deleting
// absent items and equal deadlines all happen often.
const ITEMS = 12;
const time = fc.integer({ min: 0, max: 50 });
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ op: fc.constant('set' as const), item: fc.nat(ITEMS - 1), at: time }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('delete' as const), item: fc.nat(ITEMS - 1) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('popDue' as const), now: time }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('drain' as const), now: time }) },
);

/**
 * The model: the items in the heap and their deadlines, kept as a sorted
 * array. Ties may come out of the heap in any order, so the model accepts
 * any item among those with the earliest deadline.
 */
class Model {
  entries: { name: number; at: number }[] = [];
  set(name: number, at: number): void {
    this.delete(name);
    this.entries.push({ name, at });
    this.entries.sort((a, b) => a.at - b.at);
  }
  delete(name: number): void {
    this.entries = this.entries.filter((e) => e.name !== name);
  }
  earliest(): number | undefined {
    return this.entries[0]?.at;
  }
}

const checkAgainstModel = (heap: TimerHeap<Item>, items: Item[], model: Model): void => {
  expect(heap.size).toBe(model.entries.length);
  expect(heap.peek()?.timerAt).toBe(model.earliest());
  for (const item of items) {
    const entry = model.entries.find((e) => e.name === item.name);
    if (entry === undefined) {
      expect(item.heapIndex).toBe(-1);
    } else {
      expect(item.heapIndex).toBeGreaterThanOrEqual(0);
      expect(item.timerAt).toBe(entry.at);
    }
  }
};

const popAndCheck = (heap: TimerHeap<Item>, model: Model, now: number): Item | undefined => {
  const earliest = model.earliest();
  const popped = heap.popDue(now);
  if (earliest === undefined || earliest > now) {
    expect(popped).toBeUndefined();
    return undefined;
  }
  expect(popped).toBeDefined();
  expect(popped!.timerAt).toBe(earliest);
  expect(popped!.heapIndex).toBe(-1);
  expect(model.entries.some((e) => e.name === popped!.name && e.at === earliest)).toBe(true);
  model.delete(popped!.name);
  return popped;
};

describe('TimerHeap', () => {
  it('behaves like a sorted array under random set / delete / popDue', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 120 }), (ops) => {
        const heap = new TimerHeap<Item>();
        const items = Array.from({ length: ITEMS }, (_, i) => newItem(i));
        const model = new Model();
        for (const o of ops) {
          switch (o.op) {
            case 'set':
              heap.set(items[o.item]!, o.at);
              model.set(o.item, o.at);
              break;
            case 'delete':
              heap.delete(items[o.item]!);
              model.delete(o.item);
              break;
            case 'popDue':
              popAndCheck(heap, model, o.now);
              break;
            case 'drain': {
              // What an engine's onTimer does: pop until nothing is due.
              let last = -Infinity;
              for (let item = popAndCheck(heap, model, o.now); item !== undefined; item = popAndCheck(heap, model, o.now)) {
                expect(item.timerAt).toBeGreaterThanOrEqual(last);
                last = item.timerAt;
              }
              expect(model.earliest() === undefined || model.earliest()! > o.now).toBe(true);
              break;
            }
          }
          checkAgainstModel(heap, items, model);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('pops everything in deadline order', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ noNaN: true, min: -1e12, max: 1e12 }).map((x) => (x === 0 ? 0 : x)), { maxLength: 200 }), (deadlines) => {
        const heap = new TimerHeap<Item>();
        deadlines.forEach((at, i) => heap.set(newItem(i), at));
        const out: number[] = [];
        for (let item = heap.popDue(Infinity); item !== undefined; item = heap.popDue(Infinity)) out.push(item.timerAt);
        expect(out).toEqual([...deadlines].sort((a, b) => a - b));
        expect(heap.size).toBe(0);
      }),
      { numRuns: 500 },
    );
  });

  it('moves an item when it is set again, earlier or later', () => {
    const heap = new TimerHeap<Item>();
    const [a, b, c] = [newItem(0), newItem(1), newItem(2)];
    heap.set(a, 10);
    heap.set(b, 20);
    heap.set(c, 30);
    heap.set(c, 5);
    expect(heap.peek()).toBe(c);
    heap.set(c, 25);
    expect(heap.peek()).toBe(a);
    expect(heap.size).toBe(3);
    expect(heap.popDue(9)).toBeUndefined();
    expect(heap.popDue(10)).toBe(a);
    expect(heap.popDue(100)).toBe(b);
    expect(heap.popDue(100)).toBe(c);
    expect(heap.popDue(100)).toBeUndefined();
  });

  it('ignores deleting an item that is not in the heap', () => {
    const heap = new TimerHeap<Item>();
    const a = newItem(0);
    heap.delete(a);
    heap.set(a, 1);
    heap.delete(a);
    heap.delete(a);
    expect(heap.size).toBe(0);
    expect(a.heapIndex).toBe(-1);
    expect(heap.peek()).toBeUndefined();
  });
});

describe('TimerHeap ties', () => {
  it('pops items with equal timerAt in seq order when they carry one', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 200 }), (times) => {
        const heap = new TimerHeap<{ timerAt: number; heapIndex: number; seq: number }>();
        const items = times.map((t, seq) => ({ timerAt: t, heapIndex: -1, seq }));
        for (const item of items) heap.set(item, item.timerAt);
        const order: number[] = [];
        for (let it = heap.popDue(Infinity); it !== undefined; it = heap.popDue(Infinity)) order.push(it.seq);
        const expected = [...items].sort((a, b) => a.timerAt - b.timerAt || a.seq - b.seq).map((i) => i.seq);
        expect(order).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });
});
