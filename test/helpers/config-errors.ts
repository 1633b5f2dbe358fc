// The oracle of every package's config-errors test (issue 13): building
// with a bad option throws, synchronously, exactly a TypeError or a
// RangeError (not a subclass, never an RpcError), whose message names the
// option and what was expected.
import { expect } from 'vitest';
import { RpcError } from '@udprpc/core';

/** The two classes a configuration error may have. */
export type ConfigErrorClass = typeof TypeError | typeof RangeError;

/** One row of a table: what is wrong, how to build with it, the class and what the message must say. */
export type ConfigErrorCase = readonly [what: string, build: () => unknown, kind: ConfigErrorClass, message: RegExp];

/** Asserts that `build()` throws exactly `kind`, not an RpcError, with a message matching `message`. */
export function expectConfigError(build: () => unknown, kind: ConfigErrorClass, message: RegExp): void {
  let thrown: unknown;
  let threw = false;
  try {
    build();
  } catch (error) {
    thrown = error;
    threw = true;
  }
  expect(threw, 'it throws synchronously').toBe(true);
  expect(thrown instanceof RpcError, `${String(thrown)} is not an RpcError`).toBe(false);
  expect((thrown as object).constructor, String(thrown)).toBe(kind);
  expect((thrown as Error).message).toMatch(message);
}
