/** A cancellable one-shot timer. */
export interface TimerHandle {
  cancel(): void;
}

/**
 * Monotonic time and one-shot timers. The engines never read the time or arm
 * timers themselves: the driver asks the clock, so tests can run on a virtual
 * clock and replay a run exactly.
 */
export interface Clock {
  /** Milliseconds on a monotonic scale (only differences matter). */
  now(): number;
  /** Calls `callback` once, `delayMs` from now. */
  setTimer(delayMs: number, callback: () => void): TimerHandle;
  /**
   * Calls `callback` once the current event-loop turn's I/O has been handled
   * (setImmediate). Frame coalescing flushes here. Default: queueMicrotask.
   */
  defer?(callback: () => void): void;
}

/** Runs `callback` at the end of the current turn, as `clock` defines it. */
export function deferOn(clock: Clock, callback: () => void): void {
  if (clock.defer !== undefined) clock.defer(callback);
  else queueMicrotask(callback);
}

/** setTimeout overflows above 2^31−1 ms and fires at once; never ask it for more. */
export const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;

/**
 * The real clock: `performance.now()` and unref'd `setTimeout`, so a pending
 * retransmission timer never keeps the process alive on its own (the promise
 * of an outstanding call is what the user awaits).
 */
export const systemClock: Clock = {
  now: () => performance.now(),
  setTimer(delayMs, callback) {
    const t = setTimeout(callback, Math.min(Math.max(0, delayMs), MAX_TIMER_DELAY_MS));
    (t as { unref?: () => void }).unref?.();
    return { cancel: () => clearTimeout(t) };
  },
  // The check phase runs after every datagram that was ready in this poll
  // has been handled, so replies to a burst of requests leave together.
  defer: (callback) => setImmediate(callback),
};
