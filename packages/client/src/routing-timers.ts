import type { TimerHandle } from '@udprpc/core';
import { TimerHeap, type Timed } from '@udprpc/core/engine';

interface CallbackTimer extends Timed {
  readonly seq: number;
  readonly callback: () => void;
}

/**
 * The timers of the layers above a client's engine — attempt timeouts,
 * hedges, dead-endpoint checks, endpoint re-resolution — in one indexed heap
 * that the client's timer driver serves together with the engine's
 * own: the process holds ONE real timer per client, armed at the earlier of
 * the two heaps (CONVENTIONS §15). The callbacks run from the driver, after
 * the engine's timers and outside any engine call, so they may call into
 * the engine.
 */
export class RoutingTimers {
  private readonly heap = new TimerHeap<CallbackTimer>();
  private seq = 0;

  constructor(
    private readonly now: () => number,
    /** Re-arms the real timer if this one is now the earliest (the driver's `update`). */
    private readonly kick: () => void,
  ) {}

  /** Timers pending. */
  get size(): number {
    return this.heap.size;
  }

  /** Runs `callback` once, `delayMs` from now (negative delays run at the next firing). */
  setTimer(delayMs: number, callback: () => void): TimerHandle {
    const timer: CallbackTimer = { timerAt: 0, heapIndex: -1, seq: this.seq++, callback };
    this.heap.set(timer, this.now() + Math.max(0, delayMs));
    this.kick();
    return { cancel: () => this.heap.delete(timer) };
  }

  /** When the next timer is due, or undefined. */
  nextTimerAt(): number | undefined {
    return this.heap.peek()?.timerAt;
  }

  /** Runs every timer due at `now`, earliest first (ties in the order they were set). */
  onTimer(now: number): void {
    for (let timer = this.heap.popDue(now); timer !== undefined; timer = this.heap.popDue(now)) timer.callback();
  }
}
