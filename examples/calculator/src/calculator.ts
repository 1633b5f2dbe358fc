/**
 * The calculator's handlers. Their argument and result types come from the
 * contract: `server.implement(calc, handlers)` rejects a handler that takes or
 * returns the wrong thing.
 */
import { RpcError, type Handlers } from 'udprpc';
import { calc, type DivisionByZeroDetails } from './contract.js';

const constants = new Map<string, number>([
  ['pi', Math.PI],
  ['e', Math.E],
  ['answer', 42],
]);

/** Handlers for {@link calc}; `log` lines go to `writeLine`. */
export function calculatorHandlers(writeLine: (line: string) => void): Handlers<typeof calc> {
  return {
    add: ({ a, b }) => a + b,
    div: ({ a, b }) => {
      if (b === 0) {
        const details: DivisionByZeroDetails = { field: 'b', dividend: a };
        throw new RpcError('INVALID_ARGUMENT', 'division by zero', { details });
      }
      return a / b;
    },
    get: ({ key }) => {
      const value = constants.get(key);
      if (value === undefined) throw new RpcError('NOT_FOUND', `no constant named ${JSON.stringify(key)}`);
      return value;
    },
    slowSquare: async ({ x, ms }, ctx) => {
      // ctx.signal aborts when the caller's deadline passes or it cancels;
      // its reason is an RpcError (DEADLINE_EXCEEDED or CANCELLED).
      await sleep(ms, ctx.signal);
      return x * x;
    },
    log: ({ line }, ctx) => {
      writeLine(`log from ${ctx.peer.address}: ${line}`);
    },
  };
}

/** Waits `ms`, or rejects with the signal's reason as soon as it aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason as Error);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal.reason as Error);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
