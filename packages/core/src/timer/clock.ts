/** A cancellable one-shot timer. */
export interface TimerHandle {
  /** Stops the timer; nothing happens if it fired already. */
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
};
