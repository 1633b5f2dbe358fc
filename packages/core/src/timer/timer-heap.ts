/** Something that can sit in a {@link TimerHeap}: the heap owns `heapIndex`. */
export interface Timed {
  /** When this item's timer fires, in clock milliseconds. */
  timerAt: number;
  /** Position in the heap, or -1 when not in it. Managed by the heap. */
  heapIndex: number;
  /** Breaks ties between equal `timerAt`s: lower first (e.g. scheduling order). Optional. */
  readonly seq?: number;
}

function before(a: Timed, b: Timed): boolean {
  return a.timerAt < b.timerAt || (a.timerAt === b.timerAt && (a.seq ?? 0) < (b.seq ?? 0));
}

/**
 * An indexed binary min-heap on `timerAt`. Each engine keeps all its timers
 * here and arms ONE real timer at `peek().timerAt` (quic-go's single connection
 * timer). Being indexed, items can be moved or removed in O(log n), so no stale
 * entries pile up and the earliest deadline is always exact.
 */
export class TimerHeap<T extends Timed> {
  private readonly items: T[] = [];

  /** Timers in the heap. */
  get size(): number {
    return this.items.length;
  }

  /** The item with the earliest `timerAt`, if any. */
  peek(): T | undefined {
    return this.items[0];
  }

  /** Inserts `item`, or re-positions it if it is already in the heap. */
  set(item: T, timerAt: number): void {
    item.timerAt = timerAt;
    if (item.heapIndex >= 0) {
      this.siftUp(item.heapIndex);
      this.siftDown(item.heapIndex);
      return;
    }
    item.heapIndex = this.items.length;
    this.items.push(item);
    this.siftUp(item.heapIndex);
  }

  /** Removes `item` if present. */
  delete(item: T): void {
    const i = item.heapIndex;
    if (i < 0) return;
    const last = this.items.pop()!;
    item.heapIndex = -1;
    if (i < this.items.length) {
      this.items[i] = last;
      last.heapIndex = i;
      this.siftUp(i);
      this.siftDown(last.heapIndex);
    }
  }

  /** Removes and returns the earliest item if it is due at `now`. */
  popDue(now: number): T | undefined {
    const top = this.items[0];
    if (top === undefined || top.timerAt > now) return undefined;
    this.delete(top);
    return top;
  }

  private siftUp(i: number): void {
    const items = this.items;
    const item = items[i]!;
    while (i > 0) {
      const parentIndex = (i - 1) >> 1;
      const parent = items[parentIndex]!;
      if (!before(item, parent)) break;
      items[i] = parent;
      parent.heapIndex = i;
      i = parentIndex;
    }
    items[i] = item;
    item.heapIndex = i;
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
      childItem.heapIndex = i;
      i = child;
    }
    items[i] = item;
    item.heapIndex = i;
  }
}
