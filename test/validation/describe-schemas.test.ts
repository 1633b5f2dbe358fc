// udprpc.describe publishes each method's JSON Schemas when its schemas
// implement Standard JSON Schema (protocol.md §5.1, "Method schemas").
import { toStandardJsonSchema } from '@valibot/to-json-schema';
import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineContract, method, type ServiceDescription } from 'udprpc';
import { startSchemaRpc } from './schema-rpc.js';

const draft = 'https://json-schema.org/draft/2020-12/schema';

const shop = defineContract('shop', {
  add: method({ input: z.object({ a: z.number(), b: z.number() }), output: z.number(), idempotent: true }),
  named: method({ input: toStandardJsonSchema(v.object({ name: v.pipe(v.string(), v.minLength(1)) })) }),
  // A transform has no JSON Schema for its output side: that side is left out.
  shown: method({ input: z.string(), output: z.number().transform((n) => `${n}`) }),
  // Valibot without toStandardJsonSchema validates but publishes nothing.
  plainValibot: method({ input: v.string() }),
  legacy: method<{ a: number }, number>(),
});

describe('udprpc.describe with schemas', () => {
  it('lists inputSchema / outputSchema (draft 2020-12) where the schema can say it, nothing where not', async () => {
    const rpc = await startSchemaRpc(shop, {
      add: ({ a, b }) => a + b,
      named: () => undefined,
      shown: (s) => s.length,
      plainValibot: () => undefined,
      legacy: ({ a }) => a,
    });
    const [r] = await rpc.settle([rpc.client.call('udprpc', 'describe', undefined, { idempotent: true })]);
    expect(r?.status).toBe('fulfilled');
    const services = (r as PromiseFulfilledResult<ServiceDescription[]>).value;
    expect(services).toEqual([
      {
        service: 'shop',
        methods: [
          {
            name: 'add',
            idempotent: true,
            inputSchema: { $schema: draft, type: 'object', properties: { a: { type: 'number' }, b: { type: 'number' } }, required: ['a', 'b'] },
            outputSchema: { $schema: draft, type: 'number' },
          },
          {
            name: 'named',
            idempotent: false,
            inputSchema: { $schema: draft, type: 'object', properties: { name: { type: 'string', minLength: 1 } }, required: ['name'] },
          },
          { name: 'shown', idempotent: false, inputSchema: { $schema: draft, type: 'string' } },
          { name: 'plainValibot', idempotent: false },
          { name: 'legacy', idempotent: false },
        ],
      },
    ]);
  });
});
