// Every inference path of schema-based contracts: what the stub takes and
// returns, what the handler gets and returns, with zod, valibot and a schema
// written by hand against the Standard Schema interface. The type assertions
// are checked by `tsc -p tsconfig.check.json`; each `@ts-expect-error` must
// stay an error.
import type { StandardJSONSchemaV1 as SpecJSONSchema, StandardSchemaV1 as SpecSchema } from '@standard-schema/spec';
import { toStandardJsonSchema } from '@valibot/to-json-schema';
import * as v from 'valibot';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import {
  defineContract,
  method,
  type HandlerInputOf,
  type HandlerOutputOf,
  type Handlers,
  type InputOf,
  type MethodDef,
  type OutputOf,
  type GroupReply,
  type GroupStub,
  type StandardSchemaV1,
  type Stub,
} from 'udprpc';

const Point = z.object({ x: z.number(), y: z.number() });
const Trimmed = z.string().transform((s) => s.trim().length);

/** A Standard Schema written by hand: no library at all, asynchronous. */
const evenAsync: StandardSchemaV1<number, number> = {
  '~standard': {
    version: 1,
    vendor: 'test',
    validate: async (value) =>
      typeof value === 'number' && value % 2 === 0 ? { value } : { issues: [{ message: 'not even', path: [] }] },
  },
};

const geo = defineContract('geo', {
  norm: method({ input: Point, output: z.number() }),
  measure: method({ input: Trimmed, output: z.number().transform((n) => `${n} chars`) }),
  reset: method({ input: Point }),
  origin: method({ output: Point, idempotent: true }),
  half: method({ input: evenAsync, output: evenAsync }),
  legacy: method<{ a: number }, string>(),
  valibot: method({ input: v.object({ name: v.pipe(v.string(), v.minLength(1)) }), output: v.array(v.number()) }),
});

describe('schema-based method types', () => {
  it('method({ input, output }) with zod: caller and handler types come from the schemas', () => {
    type D = typeof geo.methods.norm;
    expectTypeOf<InputOf<D>>().toEqualTypeOf<{ x: number; y: number }>();
    expectTypeOf<OutputOf<D>>().toEqualTypeOf<number>();
    expectTypeOf<HandlerInputOf<D>>().toEqualTypeOf<{ x: number; y: number }>();
    expectTypeOf<HandlerOutputOf<D>>().toEqualTypeOf<number>();
    // @ts-expect-error the input is not a string
    expectTypeOf<InputOf<D>>().toEqualTypeOf<string>();
  });

  it('transforms: the stub takes the schema input, the handler gets the schema output, and the reverse for results', () => {
    type D = typeof geo.methods.measure;
    expectTypeOf<InputOf<D>>().toEqualTypeOf<string>();
    expectTypeOf<HandlerInputOf<D>>().toEqualTypeOf<number>();
    expectTypeOf<HandlerOutputOf<D>>().toEqualTypeOf<number>();
    expectTypeOf<OutputOf<D>>().toEqualTypeOf<string>();
  });

  it('input only is void out; output only is void in', () => {
    expectTypeOf<OutputOf<typeof geo.methods.reset>>().toEqualTypeOf<void>();
    expectTypeOf<HandlerOutputOf<typeof geo.methods.reset>>().toEqualTypeOf<void>();
    expectTypeOf<InputOf<typeof geo.methods.origin>>().toEqualTypeOf<void>();
    expectTypeOf<HandlerInputOf<typeof geo.methods.origin>>().toEqualTypeOf<void>();
    expectTypeOf<OutputOf<typeof geo.methods.origin>>().toEqualTypeOf<{ x: number; y: number }>();
  });

  it('a hand-written (async) Standard Schema and valibot', () => {
    expectTypeOf<InputOf<typeof geo.methods.half>>().toEqualTypeOf<number>();
    expectTypeOf<HandlerOutputOf<typeof geo.methods.half>>().toEqualTypeOf<number>();
    expectTypeOf<InputOf<typeof geo.methods.valibot>>().toEqualTypeOf<{ name: string }>();
    expectTypeOf<OutputOf<typeof geo.methods.valibot>>().toEqualTypeOf<number[]>();
  });

  it('method<I, O>() without schemas keeps its types, handler side equal to caller side', () => {
    type D = typeof geo.methods.legacy;
    expectTypeOf<D>().toEqualTypeOf<MethodDef<{ a: number }, string>>();
    expectTypeOf<HandlerInputOf<D>>().toEqualTypeOf<{ a: number }>();
    expectTypeOf<HandlerOutputOf<D>>().toEqualTypeOf<string>();
  });

  it('Handlers and Stub use the handler side and the caller side', () => {
    type H = Handlers<typeof geo>;
    type S = Stub<typeof geo>;
    expectTypeOf<Parameters<H['measure']>[0]>().toEqualTypeOf<number>();
    expectTypeOf<ReturnType<H['measure']>>().toEqualTypeOf<number | Promise<number>>();
    expectTypeOf<Parameters<S['measure']>[0]>().toEqualTypeOf<string>();
    expectTypeOf<ReturnType<S['measure']>>().toEqualTypeOf<Promise<string>>();
    expectTypeOf<ReturnType<S['origin']>>().toEqualTypeOf<Promise<{ x: number; y: number }>>();
    type G = GroupStub<typeof geo>;
    expectTypeOf<Parameters<G['measure']>[0]>().toEqualTypeOf<string>();
    expectTypeOf<ReturnType<G['measure']>>().toEqualTypeOf<AsyncIterable<GroupReply<string>>>();
    const handlers: Pick<H, 'measure'> = {
      // @ts-expect-error the handler gets a number (the transformed input), not a string
      measure: (text: string) => text.length,
    };
    expect(handlers).toBeDefined();
  });

  it('rejects a non-schema and a schema next to type arguments at compile time, and throws at run time', () => {
    // @ts-expect-error not a Standard Schema
    expect(() => method({ input: { parse: () => 1 } })).toThrow(TypeError);
    // @ts-expect-error version 2 is not Standard Schema v1
    expect(() => method({ output: { '~standard': { version: 2, vendor: 'x', validate: () => ({ value: 1 }) } } })).toThrow(/Standard Schema v1/);
  });

  it('keeps the schemas on the definition; a method without schemas has none', () => {
    expect(geo.methods.norm.input).toBe(Point);
    expect(Object.keys(geo.methods.reset)).toEqual(['kind', 'idempotent', 'input']);
    expect(Object.keys(geo.methods.origin)).toEqual(['kind', 'idempotent', 'output']);
    expect(geo.methods.origin.idempotent).toBe(true);
    expect(Object.keys(geo.methods.legacy)).toEqual(['kind', 'idempotent']);
  });

  it('core’s copied interfaces match @standard-schema/spec both ways', () => {
    expectTypeOf<SpecSchema<string, number>>().toExtend<StandardSchemaV1<string, number>>();
    expectTypeOf<StandardSchemaV1<string, number>>().toExtend<SpecSchema<string, number>>();
    expectTypeOf<SpecSchema.InferOutput<typeof Trimmed>>().toEqualTypeOf<StandardSchemaV1.InferOutput<typeof Trimmed>>();
    // Standard JSON Schema: zod schemas carry both interfaces; valibot's through toStandardJsonSchema.
    expectTypeOf(Point).toExtend<SpecJSONSchema>();
    expectTypeOf(toStandardJsonSchema(v.string())).toExtend<SpecJSONSchema<string>>();
  });
});
