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
}

/** Defaults; see each field. */
export const defaultAdmissionLimits: Readonly<AdmissionLimits> = Object.freeze({
  maxRunning: 1024,
  maxQueued: 4096,
  retryAfterMs: 100,
});

/** What the admission queue tracks per call: whether it holds a handler slot. */
export interface Admissible {
  /** Managed by the queue; false until the item runs and again once released. */
  holdsSlot: boolean;
}

/**
 * A concurrency limiter with a bounded FIFO. `start` runs an item and returns
 * false if the item went stale while queued (cancelled, expired), in which
 * case its slot is given to the next one. Each item records whether it holds
 * a slot, so the queue keeps a count rather than a set of keys.
 */
export class AdmissionQueue<T extends Admissible> {
  private active = 0;
  private queue: T[] = [];
  private head = 0;
  private draining = false;

  constructor(
    readonly limits: AdmissionLimits,
    private readonly start: (item: T) => boolean,
  ) {}

  get running(): number {
    return this.active;
  }

  get queued(): number {
    return this.queue.length - this.head;
  }

  /** Whether {@link submit} would accept another call now. */
  get hasRoom(): boolean {
    return this.active < this.limits.maxRunning || this.queued < this.limits.maxQueued;
  }

  /** Runs `item` now if a slot is free, else queues it. Check {@link hasRoom} first. */
  submit(item: T): void {
    if (this.active < this.limits.maxRunning && this.queued === 0) this.run(item);
    else this.queue.push(item);
  }

  /** The handler of `item` finished: free its slot for the next call. No-op if it holds none. */
  release(item: T): void {
    if (!item.holdsSlot) return;
    item.holdsSlot = false;
    this.active--;
    this.drain();
  }

  private run(item: T): void {
    item.holdsSlot = true;
    this.active++;
    if (!this.start(item) && item.holdsSlot) {
      item.holdsSlot = false;
      this.active--;
    }
  }

  // A handler may finish synchronously inside `start`, which calls release()
  // and so drain() again: the flag turns that recursion into this one loop.
  private drain(): void {
    if (this.draining) return;
    this.draining = true;
    try {
      while (this.active < this.limits.maxRunning && this.head < this.queue.length) {
        this.run(this.queue[this.head++]!);
      }
      if (this.head > 1024 && this.head * 2 > this.queue.length) {
        this.queue = this.queue.slice(this.head);
        this.head = 0;
      }
    } finally {
      this.draining = false;
    }
  }
}
