import type { Clock } from '@udprpc/core';

/** One entry of a call schedule: what to call and when (relative to the start). */
export interface ScheduledCall<I> {
  /** Milliseconds after {@link scheduleCalls} is called. */
  readonly startAtMs: number;
  /** The argument of the call. */
  readonly input: I;
}

/**
 * Starts `start(input)` for each entry at its `startAtMs` on `clock`, and
 * returns at once one promise per entry (in schedule order) that settles like
 * the call it stands for. Pair it with the `callSchedule` arbitrary and
 * {@link settleAll}: the promises exist before any call has started, so they
 * can all be awaited together while virtual time runs.
 *
 * A `start` that throws synchronously rejects its entry's promise.
 */
export function scheduleCalls<I, R>(
  clock: Clock,
  schedule: readonly ScheduledCall<I>[],
  start: (input: I, index: number) => PromiseLike<R> | R,
): Promise<R>[] {
  return schedule.map(
    (entry, index) =>
      new Promise<R>((resolve, reject) => {
        clock.setTimer(entry.startAtMs, () => {
          try {
            Promise.resolve(start(entry.input, index)).then(resolve, reject);
          } catch (error) {
            reject(error);
          }
        });
      }),
  );
}
