/**
 * A contract declared with zod schemas: the types come from the schemas, the
 * client checks each argument before sending, the server checks it again
 * before the handler runs (and the result before it is sent), and
 * `udprpc.describe` publishes the JSON Schemas, so `udprpc call` can check
 * arguments too. Server and client in one process, over UDP on 127.0.0.1.
 *
 *   npx tsx --conditions=@udprpc/source examples/validation/src/shop.ts
 */
import { createClient, createServer, defineContract, method, RpcError } from 'udprpc';
import { z } from 'zod';

const Order = z.object({
  sku: z.string().regex(/^[A-Z]{3}-\d{3}$/, 'a SKU looks like ABC-123'),
  qty: z.number().int().min(1).max(99),
  note: z.string().trim().max(40).optional(),
});

export const shop = defineContract('shop', {
  /** Places an order; returns its total in cents. */
  order: method({ input: Order, output: z.number().int().nonnegative() }),
});

const prices: Record<string, number> = { 'ABC-123': 250, 'XYZ-999': 1999 };

const server = createServer().implement(shop, {
  // `order` is the validated value: its type is z.output<typeof Order>.
  order: ({ sku, qty }) => {
    const price = prices[sku];
    if (price === undefined) throw new RpcError('NOT_FOUND', `no product ${sku}`);
    return price * qty;
  },
});
const { port } = await server.listen();
const client = createClient({ url: `udp://127.0.0.1:${port}` });
const stub = client.stub(shop);

try {
  console.log(`order 3 × ABC-123: ${await stub.order({ sku: 'ABC-123', qty: 3 })} cents`);

  // Checked before sending: nothing goes out, the issues say what is wrong.
  const bad = { sku: 'abc', qty: 0 };
  const error = await stub.order(bad).catch((e: unknown) => e);
  if (!RpcError.is(error)) throw new Error('the invalid order was accepted');
  console.log(`invalid order: ${error.code} remote=${error.remote}`);
  for (const issue of (error.details as { issues: { path: string[]; message: string }[] }).issues) {
    console.log(`  ${issue.path.join('.')}: ${issue.message}`);
  }

  // What `udprpc describe` shows: the JSON Schema of the argument.
  const [service] = (await client.call('udprpc', 'describe', undefined, { idempotent: true })) as { methods: { inputSchema?: { required?: string[] } }[] }[];
  console.log(`published input schema requires: ${service?.methods[0]?.inputSchema?.required?.join(', ')}`);
} catch (error) {
  console.error(`validation example failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
} finally {
  await client.close();
  await server.close();
}
