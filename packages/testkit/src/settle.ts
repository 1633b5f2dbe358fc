import type { RunOptions, VirtualClock } from './virtual-clock.js';

/**
 * Runs the virtual clock until every one of `promises` has settled, and
 * returns their outcomes as `Promise.allSettled` would (tuple types kept).
 *
 * This is the usual way to drive a test: start the calls without awaiting
 * them, then let `settleAll` fire timers (network deliveries,
 * retransmissions, deadlines) and drain microtasks between them until all
 * are done. Rejects with a clear message if they cannot all settle: no timer
 * left to fire, or `maxSteps` / `maxTimeMs` (default one virtual hour) spent.
 * Timers still pending afterwards (cache expiry and such) are left queued.
 *
 * @example
 * const p1 = client.call(add, { a: 1, b: 2 });
 * const p2 = client.call(add, { a: 3, b: 4 });
 * const [r1, r2] = await settleAll(clock, [p1, p2], { maxTimeMs: 10_000 });
 * expect(r1.status).toBe('fulfilled');
 */
export async function settleAll<T extends readonly unknown[] | []>(
  clock: VirtualClock,
  promises: T,
  options: RunOptions = {},
): Promise<{ -readonly [P in keyof T]: PromiseSettledResult<Awaited<T[P]>> }> {
  const total = promises.length;
  let pending = total;
  const settled = (): void => {
    pending--;
  };
  for (const p of promises) Promise.resolve(p).then(settled, settled);
  try {
    await clock.runUntil(() => pending === 0, options);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`settleAll: ${pending} of ${total} promise(s) still pending — ${reason}`, { cause: error });
  }
  return Promise.allSettled(promises);
}
