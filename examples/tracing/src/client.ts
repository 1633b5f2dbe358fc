/**
 * The traced client process: `client.ts udp://127.0.0.1:<port>`. One
 * `checkout` span, active while two quotes are asked for, one of them for
 * an unknown SKU: each call is a CLIENT span, child of `checkout`, and the
 * server's span of the call is a child of the CLIENT span (trace context
 * went in the call's metadata). Spans are printed as they end.
 */
import { trace } from '@opentelemetry/api';
import { createClient, RpcError } from 'udprpc';
import { prices } from './contract.js';
import { startTracing } from './tracing.js';

const url = process.argv[2];
if (url === undefined) throw new Error('usage: client.ts udp://host:port');
const shutdown = startTracing('shop-client');
const client = createClient({ url, timeoutMs: 2000 });
const stub = client.stub(prices);

await trace.getTracer('shop').startActiveSpan('checkout', async (checkout) => {
  try {
    const total = await stub.quote({ sku: 'ABC-123', qty: 3 });
    console.log(`quote ABC-123 × 3 = ${total} cents`);
    await stub.quote({ sku: 'NOPE-000', qty: 1 }).catch((error: unknown) => {
      if (!RpcError.is(error)) throw error;
      console.log(`quote NOPE-000 failed: ${error.code} ${error.message}`);
    });
  } finally {
    checkout.end();
  }
});
await client.close();
await shutdown();
