// Property (issue 16): for any argument, the handler runs if and only if the
// method's input schema accepts it (as the server decodes it), and every
// refused call fails with INVALID_ARGUMENT carrying at least one issue.
// fast-check prints the seed and the shrunk counterexample on failure.
import fc from 'fast-check';
import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineContract, method, msgpackCodec, RpcError, type StandardSchemaV1 } from 'udprpc';
import { startSchemaRpc } from './schema-rpc.js';

const zodOrder = z.object({ qty: z.number().int().min(1).max(99), sku: z.string().regex(/^[A-Z]{3}$/), note: z.string().max(4).optional() });
const valibotOrder = v.object({
  qty: v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(99)),
  sku: v.pipe(v.string(), v.regex(/^[A-Z]{3}$/)),
  note: v.optional(v.pipe(v.string(), v.maxLength(4))),
});

/** Arguments near the schema's edges, and arbitrary JSON values. */
const argument = fc.oneof(
  fc.record(
    { qty: fc.integer({ min: 0, max: 100 }), sku: fc.stringMatching(/^[A-Z]{3}$/), note: fc.string({ maxLength: 5 }) },
    { requiredKeys: ['qty', 'sku'] },
  ),
  fc.record(
    {
      qty: fc.oneof(fc.integer({ min: -2, max: 101 }), fc.double({ noNaN: false }), fc.constant('5'), fc.constant(null)),
      sku: fc.oneof(fc.stringMatching(/^[A-Z]{2,4}$/), fc.string({ maxLength: 4 }), fc.integer()),
      note: fc.oneof(fc.string({ maxLength: 6 }), fc.boolean()),
    },
    { requiredKeys: [] },
  ),
  fc.jsonValue({ maxDepth: 2 }),
);

function accepts(schema: StandardSchemaV1, value: unknown): boolean {
  const result = schema['~standard'].validate(value);
  if (result instanceof Promise) throw new Error('sync schema expected');
  return result.issues === undefined;
}

describe.each([
  ['zod', zodOrder],
  ['valibot', valibotOrder],
] as const)('%s: the handler runs iff the schema accepts', (_name, schema) => {
  it('for random arguments, sent past the client’s own check', async () => {
    const contract = defineContract('shop', { order: method({ input: schema, output: z.literal('ok') }) });
    const seen: unknown[] = [];
    const rpc = await startSchemaRpc(contract, { order: (input) => (seen.push(input), 'ok' as const) }, { client: { validate: false } });
    await fc.assert(
      fc.asyncProperty(argument, async (arg) => {
        // What the server validates is what the codec delivers (e.g. -0 arrives as 0).
        const decoded = msgpackCodec.decode(msgpackCodec.encode(arg));
        if (!decoded.ok) throw decoded.error;
        const expected = accepts(schema, decoded.value);
        const before = seen.length;
        const [outcome] = await rpc.settle([rpc.stub.order(arg as never)]);
        const ran = seen.length - before;
        expect(ran).toBe(expected ? 1 : 0);
        if (expected) {
          expect(outcome).toEqual({ status: 'fulfilled', value: 'ok' });
        } else {
          const error = outcome?.status === 'rejected' ? (outcome.reason as unknown) : undefined;
          expect(RpcError.is(error) && error.code).toBe('INVALID_ARGUMENT');
          expect(((error as RpcError).details as { issues: unknown[] }).issues.length).toBeGreaterThan(0);
        }
      }),
      { numRuns: 200, seed: 20_261_203 },
    );
    expect(seen.length).toBeGreaterThan(10); // the generator reaches the accepting side, too
    expect(rpc.errors).toEqual([]);
  });
});
