/**
 * The calculator contract, shared by the server and every client. Argument
 * and result types live on the method definitions, so both sides are checked
 * against this one file; nothing is generated.
 */
import { defineContract, method } from 'udprpc';

export const calc = defineContract('calc', {
  /** a + b. */
  add: method<{ a: number; b: number }, number>(),
  /** a / b; b = 0 fails with INVALID_ARGUMENT and {@link DivisionByZeroDetails}. */
  div: method<{ a: number; b: number }, number>(),
  /** A named constant (`pi`, `e`, `answer`); an unknown key fails with NOT_FOUND. Safe to run twice. */
  get: method<{ key: string }, number>({ idempotent: true }),
  /** x², after waiting `ms` milliseconds; stops early when the caller's deadline passes or it cancels. */
  slowSquare: method<{ x: number; ms: number }, number>(),
  /** Writes a line to the server's log. Meant to be sent with `.notify()`. */
  log: method<{ line: string }, void>(),
});

/** The contract's type, for code that takes a calculator stub or handlers. */
export type Calc = typeof calc;

/** The `details` of the INVALID_ARGUMENT error `div` fails with. */
export interface DivisionByZeroDetails {
  readonly field: 'b';
  readonly dividend: number;
}
