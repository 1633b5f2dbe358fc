// Internal: the VirtualClock's timer queue, an indexed binary min-heap ordered
// by (due time, scheduling sequence) so that ties fire in the order they were
// scheduled and cancelled timers leave the heap at once (no tombstones pile up
// when a driver re-arms its single timer thousands of times).

/** One scheduled timer. `index` is managed by the queue (-1 when not queued). */
export interface QueuedTimer {
  readonly atMs: number;
  readonly seq: number;
  readonly callback: () => void;
  index: number;
}

function before(x: QueuedTimer, y: QueuedTimer): boolean {
  return x.atMs < y.atMs || (x.atMs === y.atMs && x.seq < y.seq);
}

/** @internal */
export class TimerQueue {
  private readonly items: QueuedTimer[] = [];

  get size(): number {
    return this.items.length;
  }

  peek(): QueuedTimer | undefined {
    return this.items[0];
  }

  push(timer: QueuedTimer): void {
    timer.index = this.items.length;
    this.items.push(timer);
    this.siftUp(timer.index);
  }

  /** Removes the earliest timer and returns it. */
  pop(): QueuedTimer | undefined {
    const top = this.items[0];
    if (top !== undefined) this.remove(top);
    return top;
  }

  /** Removes `timer` if it is queued; returns whether it was. */
  remove(timer: QueuedTimer): boolean {
    const i = timer.index;
    if (i < 0) return false;
    const last = this.items.pop()!;
    timer.index = -1;
    if (i < this.items.length) {
      this.items[i] = last;
      last.index = i;
      this.siftUp(i);
      this.siftDown(last.index);
    }
    return true;
  }

  private siftUp(i: number): void {
    const items = this.items;
    const item = items[i]!;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const parent = items[p]!;
      if (!before(item, parent)) break;
      items[i] = parent;
      parent.index = i;
      i = p;
    }
    items[i] = item;
    item.index = i;
  }

  private siftDown(i: number): void {
    const items = this.items;
    const n = items.length;
    const item = items[i]!;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= n) break;
      const right = left + 1;
      const child = right < n && before(items[right]!, items[left]!) ? right : left;
      const childItem = items[child]!;
      if (!before(childItem, item)) break;
      items[i] = childItem;
      childItem.index = i;
      i = child;
    }
    items[i] = item;
    item.index = i;
  }
}
