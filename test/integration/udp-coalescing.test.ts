// Frame coalescing over real UDP (protocol.md §3.4): calls started together
// leave in few datagrams, the server answers a batch with a batch, a lone
// call still travels as one plain datagram, and `coalesce: false` sends one
// datagram per frame. Counted by the transports, so a coalescer that stops
// packing (or packs across jobs it should not wait for) fails here.
import { describe, expect, it } from 'vitest';
import { createClient, createServer, createUdpTransport } from 'udprpc';
import { calc, calcHandlers, createProbe } from '../helpers/calc-service.js';
import { withGuard } from '../helpers/wait.js';

const CALLS = 40;

async function run(coalesce: boolean, calls: number) {
  const serverTransport = createUdpTransport({ host: '127.0.0.1', port: 0 });
  const clientTransport = createUdpTransport({ host: '127.0.0.1', port: 0 });
  const server = createServer({ transport: serverTransport, coalesce }).implement(calc, calcHandlers(createProbe()));
  const address = await server.listen();
  // No path MTU probes (protocol.md §7.5): they would add datagrams this test does not count.
  const client = createClient({ transport: clientTransport, peer: address, coalesce, timeoutMs: 30_000, pathMtuDiscovery: false });
  try {
    const stub = client.stub(calc);
    const sums = await withGuard(Promise.all(Array.from({ length: calls }, (_, i) => stub.add({ a: i, b: 1 }))), `${calls} calls`, 30_000);
    expect(sums).toEqual(Array.from({ length: calls }, (_, i) => i + 1));
    return { client: clientTransport.stats(), server: serverTransport.stats(), retransmits: client.stats().retransmits };
  } finally {
    await client.close();
    await server.close();
  }
}

describe('frame coalescing over UDP on 127.0.0.1', () => {
  it(`${CALLS} calls started together go out in a few datagrams and come back in a few`, async () => {
    const r = await run(true, CALLS);
    // 40 small requests fit in two 1200-byte datagrams; allow retransmissions on a busy machine.
    expect(r.client.datagramsSent).toBeLessThanOrEqual(2 + r.retransmits);
    expect(r.server.datagramsReceived).toBe(r.client.datagramsSent);
    expect(r.server.datagramsSent).toBeLessThanOrEqual(4 + r.retransmits);
  });

  it('a lone call is one plain datagram each way', async () => {
    const r = await run(true, 1);
    expect(r.client).toMatchObject({ datagramsSent: 1 + r.retransmits });
    // The header alone is 14 bytes; a BATCH wrapper would add 16.
    expect(r.client.bytesSent).toBeLessThan(60);
    expect(r.server.datagramsSent).toBeGreaterThanOrEqual(1);
  });

  it('with coalesce: false every frame is its own datagram', async () => {
    const r = await run(false, CALLS);
    expect(r.client.datagramsSent).toBeGreaterThanOrEqual(CALLS);
    expect(r.server.datagramsSent).toBeGreaterThanOrEqual(CALLS);
  });
});
