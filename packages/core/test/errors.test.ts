import { Code, isErrorCode, RpcError, type ErrorCode } from '@udprpc/core';
import { codeFromNumber } from '@udprpc/core/engine';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

const allCodes = Object.keys(Code) as ErrorCode[];

describe('Code and codeFromNumber', () => {
  it('has the 16 gRPC codes with their gRPC numbers', () => {
    expect(Code).toEqual({
      CANCELLED: 1,
      UNKNOWN: 2,
      INVALID_ARGUMENT: 3,
      DEADLINE_EXCEEDED: 4,
      NOT_FOUND: 5,
      ALREADY_EXISTS: 6,
      PERMISSION_DENIED: 7,
      RESOURCE_EXHAUSTED: 8,
      FAILED_PRECONDITION: 9,
      ABORTED: 10,
      OUT_OF_RANGE: 11,
      UNIMPLEMENTED: 12,
      INTERNAL: 13,
      UNAVAILABLE: 14,
      DATA_LOSS: 15,
      UNAUTHENTICATED: 16,
    });
  });

  it('maps every code number back to its name', () => {
    for (const name of allCodes) expect(codeFromNumber(Code[name])).toBe(name);
  });

  it('maps unknown numbers to UNKNOWN', () => {
    for (const n of [0, 17, 255, -1, 1.5, NaN, Infinity, 2 ** 32 + 1]) expect(codeFromNumber(n), String(n)).toBe('UNKNOWN');
    fc.assert(
      fc.property(fc.integer().filter((n) => n < 1 || n > 16), (n) => {
        expect(codeFromNumber(n)).toBe('UNKNOWN');
      }),
      { numRuns: 500 },
    );
  });

  it('isErrorCode accepts exactly the code names', () => {
    for (const name of allCodes) expect(isErrorCode(name)).toBe(true);
    for (const v of ['', 'cancelled', 'OK', 'toString', '__proto__', 'hasOwnProperty', 1, null, undefined, {}]) {
      expect(isErrorCode(v), String(v)).toBe(false);
    }
  });
});

describe('RpcError', () => {
  it('carries code, message, remote, details, cause and retryAfterMs', () => {
    const cause = new Error('root');
    const e = new RpcError('UNAVAILABLE', 'down', { remote: true, details: { n: 1 }, cause, retryAfterMs: 250 });
    expect(e).toBeInstanceOf(Error);
    expect(e).toBeInstanceOf(RpcError);
    expect(e.name).toBe('RpcError');
    expect(e.code).toBe('UNAVAILABLE');
    expect(e.message).toBe('down');
    expect(e.remote).toBe(true);
    expect(e.details).toEqual({ n: 1 });
    expect(e.cause).toBe(cause);
    expect(e.retryAfterMs).toBe(250);
  });

  it('defaults to a local error with no cause, details or pushback', () => {
    const e = new RpcError('INTERNAL', 'x');
    expect(e.remote).toBe(false);
    expect('cause' in e).toBe(false);
    expect(e.details).toBeUndefined();
    expect(e.retryAfterMs).toBeUndefined();
  });

  describe('is', () => {
    it('is true for RpcErrors, including those of a second copy of the package', () => {
      expect(RpcError.is(new RpcError('NOT_FOUND', 'x'))).toBe(true);
      // What another copy's instance looks like: only the registry-wide brand is shared.
      const foreign = Object.assign(new Error('from the other copy'), {
        code: 'NOT_FOUND',
        [Symbol.for('udprpc.RpcError')]: true,
      });
      expect(foreign).not.toBeInstanceOf(RpcError);
      expect(RpcError.is(foreign)).toBe(true);
      expect(RpcError.is({ [Symbol.for('udprpc.RpcError')]: true })).toBe(true);
    });

    it('is false for everything else', () => {
      const notErrors: unknown[] = [
        new Error('x'),
        Object.assign(new Error('x'), { name: 'RpcError', code: 'INTERNAL' }),
        { [Symbol.for('udprpc.RpcError')]: 'true' },
        { [Symbol.for('udprpc.RpcError')]: 1 },
        { [Symbol('udprpc.RpcError')]: true }, // a local symbol, not the registry one
        { 'udprpc.RpcError': true },
        null,
        undefined,
        'RpcError',
        42,
        () => {},
      ];
      for (const v of notErrors) expect(RpcError.is(v)).toBe(false);
    });

    it('never throws for arbitrary values', () => {
      fc.assert(
        fc.property(fc.anything({ withNullPrototype: true, withMap: true, withSet: true, withBigInt: true }), (v) => {
          expect(RpcError.is(v)).toBe(false);
        }),
        { numRuns: 500 },
      );
    });
  });

  describe('from', () => {
    it('passes RpcErrors through unchanged, also foreign ones', () => {
      const e = new RpcError('ABORTED', 'x');
      expect(RpcError.from(e)).toBe(e);
      expect(RpcError.from(e, 'UNKNOWN')).toBe(e);
      const foreign = { [Symbol.for('udprpc.RpcError')]: true, code: 'ABORTED' };
      expect(RpcError.from(foreign)).toBe(foreign);
    });

    it('turns an AbortError into CANCELLED, keeping it as cause', () => {
      const reason = AbortSignal.abort().reason as Error; // a DOMException named AbortError
      const e = RpcError.from(reason);
      expect(e).toBeInstanceOf(RpcError);
      expect(e.code).toBe('CANCELLED');
      expect(e.message).toBe(reason.message);
      expect(e.cause).toBe(reason);
      expect(e.remote).toBe(false);
      const named = Object.assign(new Error(''), { name: 'AbortError' });
      expect(RpcError.from(named, 'UNKNOWN')).toMatchObject({ code: 'CANCELLED', message: 'operation was aborted' });
    });

    it('turns a TimeoutError into DEADLINE_EXCEEDED, keeping it as cause', () => {
      const reason = new DOMException('The operation was aborted due to timeout', 'TimeoutError');
      const e = RpcError.from(reason);
      expect(e.code).toBe('DEADLINE_EXCEEDED');
      expect(e.message).toBe(reason.message);
      expect(e.cause).toBe(reason);
      const named = Object.assign(new Error(''), { name: 'TimeoutError' });
      expect(RpcError.from(named)).toMatchObject({ code: 'DEADLINE_EXCEEDED', message: 'operation timed out' });
    });

    it('turns any other Error into the fallback code (INTERNAL by default) with its message', () => {
      const plain = new TypeError('bad input');
      expect(RpcError.from(plain)).toMatchObject({ code: 'INTERNAL', message: 'bad input', cause: plain, remote: false });
      expect(RpcError.from(plain, 'INVALID_ARGUMENT')).toMatchObject({ code: 'INVALID_ARGUMENT', message: 'bad input' });
    });

    it('turns strings and other primitives into the fallback code with their string form', () => {
      expect(RpcError.from('boom')).toMatchObject({ code: 'INTERNAL', message: 'boom', cause: 'boom' });
      expect(RpcError.from(42, 'UNKNOWN')).toMatchObject({ code: 'UNKNOWN', message: '42', cause: 42 });
      expect(RpcError.from(null)).toMatchObject({ code: 'INTERNAL', message: 'null', cause: null });
      const fromUndefined = RpcError.from(undefined);
      expect(fromUndefined).toMatchObject({ code: 'INTERNAL', message: 'undefined' });
      expect('cause' in fromUndefined).toBe(false);
    });

    it('always returns an RpcError for strings, numbers and errors, with the fallback unless aborted/timed out', () => {
      const thrown = fc.oneof(
        fc.string(),
        fc.double(),
        fc.boolean(),
        fc.string().map((m) => new Error(m)),
        fc.tuple(fc.constantFrom('AbortError', 'TimeoutError', 'Error', 'RangeError'), fc.string()).map(([name, m]) => Object.assign(new Error(m), { name })),
      );
      const code = fc.constantFrom(...allCodes);
      fc.assert(
        fc.property(thrown, code, (v, fallback) => {
          const e = RpcError.from(v, fallback);
          expect(RpcError.is(e)).toBe(true);
          const name = v instanceof Error ? v.name : '';
          const expected = name === 'AbortError' ? 'CANCELLED' : name === 'TimeoutError' ? 'DEADLINE_EXCEEDED' : fallback;
          expect(e.code).toBe(expected);
          expect(e.cause).toBe(v);
        }),
        { numRuns: 500 },
      );
    });

    // Regression (fixed in packages/core/src/errors.ts RpcError.from, which
    // called `String(value)`): it threw a TypeError ("Cannot convert object to primitive value") for a thrown
    // value with no usable toString, e.g. a null-prototype object, although
    // its contract is to turn anything thrown into an RpcError.
    it('turns a thrown null-prototype object into an RpcError instead of throwing', () => {
      const thrown: unknown = Object.create(null);
      expect(RpcError.from(thrown)).toMatchObject({ code: 'INTERNAL', cause: thrown });
    });
  });
});
