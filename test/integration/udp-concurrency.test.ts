// Many clients, many calls at once, over real UDP: every call gets its own
// correct answer (ids, sessions and source ports never cross), and the
// counters add up afterwards.
import { describe, expect, it } from 'vitest';
import { calc } from '../helpers/calc-service.js';
import { CODECS, loopbackHosts, useUdpRpc } from '../helpers/udp-rpc.js';
import { withGuard } from '../helpers/wait.js';

const HOSTS = await loopbackHosts();
const CLIENTS = 20;
const CALLS_PER_CLIENT = 50;

for (const { host, skip } of HOSTS) {
  for (const [codecName, codec] of CODECS) {
    const title = `concurrency over ${host}, ${codecName} codec${skip === undefined ? '' : ` — SKIPPED: cannot bind ${host} here (${skip})`}`;
    describe.skipIf(skip !== undefined)(title, () => {
      const rpc = useUdpRpc();

      it(`${CLIENTS} clients × ${CALLS_PER_CLIENT} concurrent calls all get their own correct result`, async () => {
        const { server, url } = await rpc.serve({ host, codec });
        // Generous deadlines: loopback may still drop under a burst, and retransmission must have room.
        const clients = Array.from({ length: CLIENTS }, () => rpc.connect(url, { codec, timeoutMs: 30_000 }));
        const runs = clients.map((client, c) => {
          const stub = client.stub(calc);
          return Promise.all(
            Array.from({ length: CALLS_PER_CLIENT }, (_, i) =>
              i % 5 === 4 ? stub.echo(`client ${c} call ${i}`) : stub.add({ a: c * 1000, b: i }),
            ),
          );
        });
        const results = await withGuard(Promise.all(runs), `${CLIENTS * CALLS_PER_CLIENT} concurrent calls`, 60_000);
        results.forEach((perClient, c) => {
          expect(perClient).toEqual(
            Array.from({ length: CALLS_PER_CLIENT }, (_, i) => (i % 5 === 4 ? `client ${c} call ${i}` : c * 1000 + i)),
          );
        });
        for (const client of clients) {
          expect(client.stats()).toMatchObject({ calls: CALLS_PER_CLIENT, responses: CALLS_PER_CLIENT, errors: 0, inFlight: 0 });
        }
        expect(server.stats()).toMatchObject({
          requests: CLIENTS * CALLS_PER_CLIENT,
          responses: CLIENTS * CALLS_PER_CLIENT,
          errors: 0,
          running: 0,
        });
      });

      it('one client keeps 200 calls in flight at once', async () => {
        const { url } = await rpc.serve({ host, codec });
        const stub = rpc.connect(url, { codec, timeoutMs: 30_000 }).stub(calc);
        const sums = await withGuard(Promise.all(Array.from({ length: 200 }, (_, i) => stub.add({ a: i, b: i }))), '200 calls', 60_000);
        expect(sums).toEqual(Array.from({ length: 200 }, (_, i) => 2 * i));
      });
    });
  }
}
