// method<I, O>() accepts only types a codec carries faithfully. Checked by
// `tsc -p tsconfig.check.json`: every `@ts-expect-error` line must stay an
// error, every other line must compile.
import { method, type MethodDef } from '@udprpc/core';
import { type Carriable } from '@udprpc/core/contract';
import { describe, expect, expectTypeOf, it } from 'vitest';

interface Tree {
  value: number;
  children: Tree[];
  label?: string;
}

describe('method<I, O>() rejects types the codec cannot carry', () => {
  it('accepts JSON-like values, binary, dates, unions, tuples, optional fields and recursive types', () => {
    expectTypeOf(method<{ a: number; b: string | null }, boolean>()).toEqualTypeOf<MethodDef<{ a: number; b: string | null }, boolean>>();
    method<Uint8Array, Float64Array>();
    method<{ at: Date; id: bigint }, ArrayBuffer>();
    method<readonly [1, 'a'], { k?: number | undefined }>();
    method<Tree, Tree[]>();
    method<{ kind: 'a'; x: number } | { kind: 'b'; y: string[] }, Record<string, number>>({ idempotent: true });
    method<unknown, unknown>();
    method<void, undefined>();
    method<Error, never>();
    expect(true).toBe(true);
  });

  it('rejects functions, anywhere in the type', () => {
    // @ts-expect-error a function is not data
    method<() => void, void>();
    // @ts-expect-error a method on the input
    method<{ a: number; f: (x: number) => number }, void>();
    // @ts-expect-error an optional callback in the output
    method<void, { onDone?: () => void }>({ idempotent: true });
    // @ts-expect-error a union with a function member
    method<string | (() => string), void>();
    // @ts-expect-error class instances with methods
    method<void, RegExp>();
    expect(true).toBe(true);
  });

  it('rejects symbols as values and as keys, and promises', () => {
    // @ts-expect-error a symbol value
    method<{ tag: symbol }, void>();
    // @ts-expect-error a symbol-keyed index signature
    method<{ [k: symbol]: number }, void>();
    // @ts-expect-error a promise is not a value yet
    method<void, { later: Promise<number> }>();
    expect(true).toBe(true);
  });

  it('rejects Map always (msgpack decodes it as an object), WeakMap and WeakSet', () => {
    // @ts-expect-error Map changes shape on the wire
    method<Map<string, number>, void>();
    // @ts-expect-error nested in an array
    method<void, Array<Map<string, number>>>();
    // @ts-expect-error WeakMap cannot be serialised at all
    method<WeakMap<object, number>, void>();
    // @ts-expect-error WeakSet cannot be serialised at all
    method<{ seen: WeakSet<object> }, void>();
    expect(true).toBe(true);
  });

  it('Carriable maps the bad parts to never and leaves good types as they are', () => {
    expectTypeOf<Carriable<{ a: number; f: () => void }>>().toEqualTypeOf<{ a: number; f: never }>();
    expectTypeOf<Carriable<Tree>>().toExtend<Tree>();
    expectTypeOf<Carriable<string | symbol>>().toEqualTypeOf<string>();
    expectTypeOf<Carriable<Uint8Array>>().toEqualTypeOf<Uint8Array>();
  });
});
