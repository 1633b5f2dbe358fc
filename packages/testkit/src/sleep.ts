import type { Clock } from '@udprpc/core';

/**
 * Waits `ms` on `clock` (the virtual clock in tests): a handler's simulated
 * work. Rejects with the signal's reason if `signal` aborts first, as a
 * handler honouring `ctx.signal` would.
 *
 * @example
 * server.implement(svc, { slow: async (ms, ctx) => { await sleep(clock, ms, ctx.signal); return ms; } });
 */
export function sleep(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = (): void => {
      timer.cancel();
      reject(signal!.reason);
    };
    const timer = clock.setTimer(ms, () => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    });
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
