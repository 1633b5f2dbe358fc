import { RpcError, defineContract, method, type CallContext, type Handlers } from 'udprpc';
import { deferred, sleepUnlessAborted, type Deferred } from './wait.js';

/** The contract every integration test serves. */
export const calc = defineContract('calc', {
  add: method<{ a: number; b: number }, number>(),
  echo: method<string, string>(),
  /** Throws a typed RpcError with details. */
  withdraw: method<{ amount: number }, number>(),
  /** Throws a plain Error whose message must never reach the client. */
  crash: method(),
  /** Waits up to `ms` (or until its signal aborts), then returns 'done'. */
  slow: method<{ ms: number }, string>(),
  /** Records its input; used with notify(). */
  record: method<{ n: number }, void>(),
});

/** A secret in a plain Error thrown by `crash`; it must never leave the server. */
export const SECRET = 'db password is hunter2';

/** Details sent with the FAILED_PRECONDITION thrown by `withdraw`. */
export const WITHDRAW_DETAILS = { balance: 3, needed: 5, currency: 'EUR' };

/** What the handlers saw, for assertions. */
export interface CalcProbe {
  /** The context of the (first) `slow` call, once its handler started. */
  readonly slowStarted: Deferred<CallContext>;
  /** The abort reason of the first `slow` call's ctx.signal. */
  readonly slowAborted: Deferred<unknown>;
  /** Inputs `record` received, in order. */
  readonly recorded: number[];
  /** Resolves when `record` has been called at least once. */
  readonly firstRecord: Deferred<number>;
  /** Number of `add` handler runs. */
  adds: number;
  /** `add(a,b)` for every run of the `add` and `withdraw(amount)` handlers, in order (interceptor tests add their own entries). */
  readonly log: string[];
}

export function createProbe(): CalcProbe {
  return { slowStarted: deferred(), slowAborted: deferred(), recorded: [], firstRecord: deferred(), adds: 0, log: [] };
}

/** Handlers for {@link calc} that report to `probe`. */
export function calcHandlers(probe: CalcProbe): Handlers<typeof calc> {
  return {
    add: ({ a, b }) => {
      probe.adds++;
      probe.log.push(`add(${a},${b})`);
      return a + b;
    },
    echo: async (text) => text,
    withdraw: ({ amount }) => {
      probe.log.push(`withdraw(${amount})`);
      throw new RpcError('FAILED_PRECONDITION', `cannot withdraw ${amount}: balance too low`, { details: WITHDRAW_DETAILS });
    },
    crash: () => {
      throw new Error(SECRET);
    },
    slow: async ({ ms }, ctx) => {
      if (!probe.slowStarted.settled) {
        const signal = ctx.signal;
        if (signal.aborted) probe.slowAborted.resolve(signal.reason);
        else signal.addEventListener('abort', () => probe.slowAborted.resolve(signal.reason), { once: true });
        probe.slowStarted.resolve(ctx);
      }
      await sleepUnlessAborted(ms, ctx.signal);
      return 'done';
    },
    record: ({ n }) => {
      probe.recorded.push(n);
      probe.firstRecord.resolve(n);
    },
  };
}
