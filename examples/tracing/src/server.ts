/**
 * The traced server process: prints `listening udp://127.0.0.1:<port>`, then
 * one span per call it handles (console exporter, stdout). Stops when its
 * stdin closes, or on SIGINT / SIGTERM.
 */
import { createServer, RpcError } from 'udprpc';
import { prices } from './contract.js';
import { startTracing } from './tracing.js';

const shutdown = startTracing('price-server');
const catalogue = new Map([
  ['ABC-123', 250],
  ['XYZ-999', 1200],
]);

const server = createServer({ host: '127.0.0.1', port: Number(process.env.PORT ?? 0) }).implement(prices, {
  quote: ({ sku, qty }) => {
    const cents = catalogue.get(sku);
    if (cents === undefined) throw new RpcError('NOT_FOUND', `no such SKU: ${sku}`);
    return cents * qty;
  },
});
const { port } = await server.listen();
console.log(`listening udp://127.0.0.1:${port}`);

const stop = async (): Promise<void> => {
  await server.close();
  await shutdown();
};
process.stdin.on('end', () => void stop()).resume();
process.once('SIGINT', () => void stop());
process.once('SIGTERM', () => void stop());
