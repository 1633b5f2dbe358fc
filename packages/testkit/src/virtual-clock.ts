import { type Clock, type TimerHandle } from '@udprpc/core';
import { checkNumber, checkObject, MAX_TIMER_DELAY_MS } from '@udprpc/core/engine';
import { TimerHeap, type Timed } from '@udprpc/core/engine';

/** One scheduled timer; ties fire in scheduling order (`seq`). */
interface QueuedTimer extends Timed {
  readonly seq: number;
  readonly callback: () => void;
}

/** Most timers one `advance`/`run*` call fires before it gives up. */
export const DEFAULT_MAX_STEPS = 100_000;
/** Most virtual time `runUntil(predicate)`/`runAll` may cover: one hour. */
export const DEFAULT_MAX_TIME_MS = 3_600_000;
/** Microtask turns drained after each timer by the async `run*` methods. */
export const DEFAULT_MICROTASK_TURNS = 100;

/** Options of a {@link VirtualClock}. */
export interface VirtualClockOptions {
  /** The initial `now()`. Default 0. */
  startMs?: number;
  /**
   * How many microtask turns the async `run*` methods drain before and after
   * each timer, so that promise chains started by a timer (a resolved call
   * and the `await`s above it) finish before virtual time moves on. A turn is
   * one `await` of a resolved promise; an `async` layer costs about one to
   * three. Default {@link DEFAULT_MICROTASK_TURNS}.
   */
  microtaskTurns?: number;
}

/** Bounds of a synchronous `advance`/`advanceTo`. */
export interface AdvanceOptions {
  /** Most timers to fire; exceeding it throws. Default {@link DEFAULT_MAX_STEPS}. */
  maxSteps?: number;
}

/** Bounds of the async `run*` methods; exceeding either throws. */
export interface RunOptions extends AdvanceOptions {
  /**
   * Most virtual milliseconds the run may cover (from its start). Default
   * {@link DEFAULT_MAX_TIME_MS}. Not used by `runUntil(time)`, whose target
   * is the bound.
   */
  maxTimeMs?: number;
}

/**
 * Drains the microtask queue `turns` deep (each turn is one `await` of a
 * resolved promise). Uses no real timers, so it is safe under a virtual clock.
 */
export async function flushMicrotasks(turns: number = DEFAULT_MICROTASK_TURNS): Promise<void> {
  for (let i = 0; i < turns; i++) await Promise.resolve();
}

function checkCount(value: number, what: string): number {
  return checkNumber(value, what, { min: 0, integer: true });
}

/**
 * A {@link Clock} whose time moves only when the test says so. Timers fire in
 * due-time order, ties in the order they were set, and `now()` inside a
 * callback is exactly that timer's due time. Time never goes backwards.
 *
 * Use the synchronous methods (`advance`, `advanceTo`, `runNext`) for code
 * driven by callbacks only, and the async ones (`runUntil`, `runFor`,
 * `runAll`, or {@link settleAll}) for promise-based code: they drain
 * microtasks between timers so `await`s make progress. Every loop is bounded
 * and throws a descriptive Error instead of spinning forever.
 *
 * @example
 * const clock = new VirtualClock();
 * const calls = [client.call(...), client.call(...)];   // start, don't await
 * const results = await settleAll(clock, calls, { maxTimeMs: 10_000 });
 */
export class VirtualClock implements Clock {
  private nowMs: number;
  private seq = 0;
  private readonly queue = new TimerHeap<QueuedTimer>();
  private readonly turns: number;
  private firing = false;
  private running = false;

  /** @throws TypeError for an option that is not a number, RangeError for an infinite `startMs` or a `microtaskTurns` that is not an integer >= 0. */
  constructor(options: VirtualClockOptions = {}) {
    checkObject(options as unknown, 'options');
    const start = checkNumber(options.startMs ?? 0, 'options.startMs');
    this.nowMs = start;
    this.turns = checkCount(options.microtaskTurns ?? DEFAULT_MICROTASK_TURNS, 'options.microtaskTurns');
  }

  /** The current virtual time in milliseconds. */
  now(): number {
    return this.nowMs;
  }

  /**
   * Schedules `callback` at `now() + delayMs`. Like the system clock, the
   * delay is clamped to [0, {@link MAX_TIMER_DELAY_MS}] (NaN counts as 0).
   * Nothing runs until the clock is advanced, even for a zero delay.
   */
  setTimer(delayMs: number, callback: () => void): TimerHandle {
    const delay = Number.isNaN(delayMs) ? 0 : Math.min(Math.max(0, delayMs), MAX_TIMER_DELAY_MS);
    const timer: QueuedTimer = { timerAt: this.nowMs + delay, seq: this.seq++, callback, heapIndex: -1 };
    this.queue.set(timer, timer.timerAt);
    return { cancel: () => this.queue.delete(timer) };
  }

  /** Number of timers set and neither fired nor cancelled. */
  get pendingTimers(): number {
    return this.queue.size;
  }

  /** Due time of the earliest pending timer, or undefined. */
  nextTimerAt(): number | undefined {
    return this.queue.peek()?.timerAt;
  }

  /**
   * Fires the earliest pending timer, moving `now()` to its due time (never
   * backwards). Returns false when no timer is pending. Errors thrown by the
   * callback propagate, with the clock left consistent.
   */
  runNext(): boolean {
    this.checkNotFiring('runNext');
    return this.fireNext();
  }

  /**
   * Moves time forward by `ms`, firing every timer due up to then — including
   * timers set by those callbacks — in order, each at its own due time.
   * Returns how many fired.
   */
  advance(ms: number, options: AdvanceOptions = {}): number {
    if (!(ms >= 0) || !Number.isFinite(ms)) throw new RangeError(`advance(ms) needs a finite ms >= 0, got ${ms}`);
    return this.advanceTo(this.nowMs + ms, options);
  }

  /** Like {@link VirtualClock.advance}, to the absolute time `timeMs`. */
  advanceTo(timeMs: number, options: AdvanceOptions = {}): number {
    this.checkNotFiring('advanceTo');
    this.checkTarget(timeMs, 'advanceTo');
    const maxSteps = checkCount(options.maxSteps ?? DEFAULT_MAX_STEPS, 'maxSteps');
    let fired = 0;
    while (this.dueBy(timeMs)) {
      if (fired >= maxSteps) throw this.tooManySteps('advanceTo', maxSteps);
      this.fireNext();
      fired++;
    }
    this.nowMs = timeMs;
    return fired;
  }

  /** Drains microtasks (the clock's configured number of turns) without firing timers. */
  flushMicrotasks(): Promise<void> {
    return flushMicrotasks(this.turns);
  }

  /**
   * Fires timers one at a time, draining microtasks before and after each,
   * until `target` holds: either a predicate, or an absolute virtual time
   * (then `now()` ends exactly there). Resolves with the number of timers
   * fired. Rejects if the predicate is still false when no timer is pending
   * (nothing could ever make it true), or when `maxSteps`/`maxTimeMs` runs out.
   */
  async runUntil(target: (() => boolean) | number, options: RunOptions = {}): Promise<number> {
    if (typeof target === 'number') {
      this.checkTarget(target, 'runUntil');
      return this.drive('runUntil', () => false, target, options, true);
    }
    return this.drive('runUntil', target, this.limitOf(options), options, false);
  }

  /** `runUntil(now() + ms)`: async {@link VirtualClock.advance}. */
  async runFor(ms: number, options: AdvanceOptions = {}): Promise<number> {
    if (!(ms >= 0) || !Number.isFinite(ms)) throw new RangeError(`runFor(ms) needs a finite ms >= 0, got ${ms}`);
    return this.runUntil(this.nowMs + ms, options);
  }

  /**
   * Fires timers (draining microtasks around each) until none is pending.
   * Rejects if timers would still fire after `maxTimeMs` — a periodic timer
   * never lets the queue empty; use `runFor` or `runUntil` for those.
   */
  async runAll(options: RunOptions = {}): Promise<number> {
    return this.drive('runAll', () => this.queue.size === 0, this.limitOf(options), options, false);
  }

  private async drive(
    label: string,
    done: () => boolean,
    limitAt: number,
    options: RunOptions,
    toTime: boolean,
  ): Promise<number> {
    this.checkNotFiring(label);
    if (this.running) throw new Error(`VirtualClock.${label}: another run is already in progress on this clock`);
    const maxSteps = checkCount(options.maxSteps ?? DEFAULT_MAX_STEPS, 'maxSteps');
    const startMs = this.nowMs;
    this.running = true;
    try {
      let fired = 0;
      await this.flushMicrotasks();
      while (!done()) {
        const next = this.queue.peek();
        if (toTime) {
          if (next === undefined || next.timerAt > limitAt) break;
        } else if (next === undefined) {
          throw new Error(
            `VirtualClock.${label}: the condition is still false and no timer is pending at t=${this.nowMs} ms, ` +
              `so nothing can make it true (a promise that never settles, or work waiting on something other than this clock?)`,
          );
        } else if (next.timerAt > limitAt) {
          throw new Error(
            `VirtualClock.${label}: not done after ${limitAt - startMs} virtual ms (maxTimeMs); ` +
              `${this.queue.size} timer(s) pending, the next at t=${next.timerAt} ms`,
          );
        }
        if (fired >= maxSteps) throw this.tooManySteps(label, maxSteps);
        this.fireNext();
        fired++;
        await this.flushMicrotasks();
      }
      if (toTime && this.nowMs < limitAt) {
        this.nowMs = limitAt;
        await this.flushMicrotasks();
      }
      return fired;
    } finally {
      this.running = false;
    }
  }

  private fireNext(): boolean {
    const timer = this.queue.peek();
    if (timer !== undefined) this.queue.delete(timer);
    if (timer === undefined) return false;
    if (timer.timerAt > this.nowMs) this.nowMs = timer.timerAt;
    this.firing = true;
    try {
      timer.callback();
    } finally {
      this.firing = false;
    }
    return true;
  }

  private dueBy(timeMs: number): boolean {
    const next = this.queue.peek();
    return next !== undefined && next.timerAt <= timeMs;
  }

  private limitOf(options: RunOptions): number {
    const maxTimeMs = options.maxTimeMs ?? DEFAULT_MAX_TIME_MS;
    if (!(maxTimeMs >= 0)) throw new RangeError(`maxTimeMs must be >= 0, got ${maxTimeMs}`);
    return this.nowMs + maxTimeMs;
  }

  private checkTarget(timeMs: number, label: string): void {
    if (!Number.isFinite(timeMs)) throw new RangeError(`VirtualClock.${label}: time must be finite, got ${timeMs}`);
    if (timeMs < this.nowMs) {
      throw new RangeError(`VirtualClock.${label}: time never goes backwards (now ${this.nowMs} ms, asked for ${timeMs} ms)`);
    }
  }

  private checkNotFiring(label: string): void {
    if (this.firing) throw new Error(`VirtualClock.${label} called from inside a timer callback; drive the clock from the test only`);
  }

  private tooManySteps(label: string, maxSteps: number): Error {
    return new Error(
      `VirtualClock.${label}: fired ${maxSteps} timers without finishing at t=${this.nowMs} ms ` +
        `(raise maxSteps, or look for a timer that re-arms itself with zero delay)`,
    );
  }
}
