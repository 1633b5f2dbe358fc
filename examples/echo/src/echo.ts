/**
 * The smallest udprpc program: a server and a client in one process, over
 * real UDP on 127.0.0.1. It echoes a string, then a 200 KB buffer, which does
 * not fit in one 1200-byte datagram and so travels as 175 fragments each way.
 *
 *   npx tsx --conditions=@udprpc/source examples/echo/src/echo.ts
 */
import { createClient, createServer, defineContract, method } from 'udprpc';

const echo = defineContract('echo', {
  text: method<string, string>(),
  bytes: method<Uint8Array, Uint8Array>(),
});

const server = createServer().implement(echo, {
  text: (s) => s,
  bytes: (b) => b,
});
const { port } = await server.listen();
const client = createClient({ url: `udp://127.0.0.1:${port}` });
const stub = client.stub(echo);

try {
  console.log(await stub.text('hello, udprpc'));

  const big = new Uint8Array(200 * 1024).map((_, i) => (i * 31) % 251);
  const back = await stub.bytes(big);
  const same = back.length === big.length && back.every((byte, i) => byte === big[i]);
  console.log(`echoed ${back.length} bytes in fragments: ${same ? 'identical' : 'DIFFERENT'}`);
  if (!same) process.exitCode = 1;
} catch (error) {
  console.error(`echo failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
} finally {
  await client.close();
  await server.close();
}
