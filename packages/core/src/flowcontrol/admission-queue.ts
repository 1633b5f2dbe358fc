import { TimerHeap, type Timed } from '../timer/timer-heap.js';

/**
 * How many handlers run at once, and how many admitted calls may wait for a
 * slot (protocol.md §8.1). Beyond both, new calls are refused with
 * RESOURCE_EXHAUSTED, the REJECTED flag and a retry-after hint, before
 * anything about them is remembered.
 */
export interface AdmissionLimits {
  /** Handlers running at once. 1024. */
  maxRunning: number;
  /** Calls waiting for a slot, FIFO. 4096. */
  maxQueued: number;
  /** The retry-after hint sent with a refusal, in ms. 100. */
  retryAfterMs: number;
  /**
   * How long a handler may keep its slot after its call's deadline (its abort
   * signal fired then), in ms. 1000. A handler still running after that is
   * counted as an overrun and its slot is given to the next call: a handler
   * that never returns must not hold a slot for ever (protocol.md §6.4).
   * Its late reply, if any, is ignored.
   */
  overrunGraceMs: number;
}

/** Defaults; see each field. */
export const defaultAdmissionLimits: Readonly<AdmissionLimits> = Object.freeze({
  maxRunning: 1024,
  maxQueued: 4096,
  retryAfterMs: 100,
  overrunGraceMs: 1000,
});

/** What the admission queue tracks per call. Every field is managed by the queue. */
export interface Admissible {
  /** False until the item runs and again once released. */
  holdsSlot: boolean;
  /** Waiting in the queue (not yet run, not withdrawn). */
  inQueue: boolean;
  /** The pending release of its slot after an abort, if one is scheduled. */
  reclaim: SlotReclaim | undefined;
}

/** A slot to take back from an aborted handler at `timerAt` unless it returns first. */
export interface SlotReclaim extends Timed {
  readonly item: Admissible;
}

/**
 * A concurrency limiter with a bounded FIFO. `start` runs an item and returns
 * false if the item went stale while queued (cancelled, expired), in which
 * case its slot is given to the next one. Each item records whether it holds
 * a slot and whether it waits, so the queue keeps counts rather than sets of keys.
 *
 * Slots are taken back from handlers that outlive their abort by more than
 * {@link AdmissionLimits.overrunGraceMs}, and calls withdrawn while waiting
 * (cancelled, or past their deadline) stop counting against `maxQueued` at once.
 */
export class AdmissionQueue<T extends Admissible> {
  /** Slots taken back from handlers still running `overrunGraceMs` after their abort. */
  overruns = 0;
  private active = 0;
  private waiting = 0;
  private queue: T[] = [];
  private head = 0;
  private readonly reclaims = new TimerHeap<SlotReclaim>();

  constructor(
    readonly limits: AdmissionLimits,
    /**
     * Marks `item` running; false if it went stale while queued. It must not
     * call back into the queue: the host starts the handler after the engine call.
     */
    private readonly start: (item: T) => boolean,
  ) {}

  get running(): number {
    return this.active;
  }

  get queued(): number {
    return this.waiting;
  }

  /** Whether {@link submit} would accept another call now. */
  get hasRoom(): boolean {
    return this.active < this.limits.maxRunning || this.waiting < this.limits.maxQueued;
  }

  /** Runs `item` now if a slot is free, else queues it. Check {@link hasRoom} first. */
  submit(item: T): void {
    if (this.active < this.limits.maxRunning && this.waiting === 0) return this.run(item);
    item.inQueue = true;
    this.waiting++;
    this.queue.push(item);
  }

  /** The handler of `item` finished: free its slot for the next call. No-op if it holds none. */
  release(item: T): void {
    if (!item.holdsSlot) return;
    item.holdsSlot = false;
    this.active--;
    if (item.reclaim !== undefined) {
      this.reclaims.delete(item.reclaim);
      item.reclaim = undefined;
    }
    this.drain();
  }

  /** `item` no longer waits (cancelled, or its deadline passed): it gives up its place and will not run. */
  withdraw(item: T): void {
    if (!item.inQueue) return;
    item.inQueue = false;
    this.waiting--;
    // Withdrawn items stay in the array until the head reaches them; compact
    // once they outnumber the waiting ones, so the array stays O(maxQueued).
    if (this.queue.length - this.head > 2 * this.waiting + 64) {
      this.queue = this.queue.slice(this.head).filter((i) => i.inQueue);
      this.head = 0;
    }
  }

  /**
   * `item`'s handler was aborted (deadline or cancel) and may keep its slot
   * until `at` at the latest. No-op if it holds no slot or a release is
   * already scheduled.
   */
  reclaimAt(item: T, at: number): void {
    if (!item.holdsSlot || item.reclaim !== undefined) return;
    item.reclaim = { item, timerAt: at, heapIndex: -1 };
    this.reclaims.set(item.reclaim, at);
  }

  /** When {@link onTimer} next needs to run, or undefined. */
  nextTimerAt(): number | undefined {
    return this.reclaims.peek()?.timerAt;
  }

  /** Takes back the slots of aborted handlers whose grace ended by `now`, and starts waiting calls in them. */
  onTimer(now: number): void {
    for (let r = this.reclaims.popDue(now); r !== undefined; r = this.reclaims.popDue(now)) {
      const item = r.item as T;
      item.reclaim = undefined;
      if (!item.holdsSlot) continue;
      this.overruns++;
      this.release(item);
    }
  }

  private run(item: T): void {
    item.holdsSlot = true;
    this.active++;
    if (!this.start(item) && item.holdsSlot) {
      item.holdsSlot = false;
      this.active--;
    }
  }

  // `start` only marks a call running (the host starts its handler after the
  // engine call), so it never releases a slot inside this loop: no guard
  // against re-entry is needed.
  private drain(): void {
    while (this.active < this.limits.maxRunning && this.head < this.queue.length) {
      const item = this.queue[this.head++]!;
      if (!item.inQueue) continue;
      item.inQueue = false;
      this.waiting--;
      this.run(item);
    }
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }
}
