import { RpcError } from 'udprpc';

/**
 * Hang guards for real-time tests. They bound how long a test may wait for
 * something that should happen; they never assert how fast it happened, so a
 * slow machine cannot fail a test that behaves correctly.
 */
export const GUARD_MS = 10_000;

/** A promise with its resolve function exposed. */
export interface Deferred<T> {
  readonly promise: Promise<T>;
  readonly settled: boolean;
  resolve(value: T): void;
}

export function deferred<T = void>(): Deferred<T> {
  let resolveFn!: (value: T) => void;
  let settled = false;
  const promise = new Promise<T>((resolve) => {
    resolveFn = resolve;
  });
  return {
    promise,
    get settled() {
      return settled;
    },
    resolve(value: T) {
      settled = true;
      resolveFn(value);
    },
  };
}

/** Resolves with `promise`, or rejects naming `what` if it takes longer than `ms`. */
export async function withGuard<T>(promise: Promise<T>, what: string, ms: number = GUARD_MS): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const guard = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`gave up after ${ms} ms waiting for ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, guard]);
  } finally {
    clearTimeout(timer);
  }
}

/** Polls `condition` every 5 ms (a bounded number of times) until it holds. */
export async function waitFor(condition: () => boolean, what: string, ms: number = GUARD_MS): Promise<void> {
  const step = 5;
  for (let waited = 0; waited <= ms; waited += step) {
    if (condition()) return;
    await new Promise((resolve) => setTimeout(resolve, step));
  }
  if (!condition()) throw new Error(`gave up after ${ms} ms waiting for ${what}`);
}

/** Resolves after `ms`, or as soon as `signal` aborts (clearing its timer). */
export function sleepUnlessAborted(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

/** Expects `promise` to reject with an RpcError, and returns it. */
export async function rpcErrorOf(promise: Promise<unknown>, what = 'the call'): Promise<RpcError> {
  let outcome: { ok: true; value: unknown } | { ok: false; error: unknown };
  try {
    outcome = { ok: true, value: await withGuard(promise, `${what} to settle`) };
  } catch (error) {
    outcome = { ok: false, error };
  }
  if (outcome.ok) throw new Error(`${what} resolved with ${JSON.stringify(outcome.value)}; expected an RpcError`);
  if (!RpcError.is(outcome.error)) throw new Error(`${what} rejected with a non-RpcError: ${String(outcome.error)}`);
  return outcome.error;
}
