// Message sizes over real UDP: arguments and results far above one datagram
// are fragmented and reassembled transparently; a message above the 16 MiB
// limit fails locally before anything is sent; notifications never fragment.
import { describe, expect, it } from 'vitest';
import { calc } from '../helpers/calc-service.js';
import { CODECS, loopbackHosts, useUdpRpc } from '../helpers/udp-rpc.js';
import { rpcErrorOf, withGuard } from '../helpers/wait.js';

const HOSTS = await loopbackHosts();
const MAX_DATAGRAM_BYTES = 1200;

/** A string of `bytes` ASCII characters that is not one repeated byte. */
function text(bytes: number, salt = 0): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  let chunk = '';
  for (let i = 0; i < 997; i++) chunk += alphabet[(i * 7 + salt) % alphabet.length];
  return chunk.repeat(Math.ceil(bytes / chunk.length)).slice(0, bytes);
}

for (const { host, skip } of HOSTS) {
  for (const [codecName, codec] of CODECS) {
    const title = `message sizes over ${host}, ${codecName} codec${skip === undefined ? '' : ` — SKIPPED: cannot bind ${host} here (${skip})`}`;
    describe.skipIf(skip !== undefined)(title, () => {
      const rpc = useUdpRpc();
      const start = async () => {
        const s = await rpc.serve({ host, codec, maxDatagramBytes: MAX_DATAGRAM_BYTES });
        const client = rpc.connect(s.url, { codec, maxDatagramBytes: MAX_DATAGRAM_BYTES, timeoutMs: 30_000 });
        return { ...s, client, stub: client.stub(calc) };
      };

      it('echoes a 100 KB argument with 1200-byte datagrams (fragmented both ways)', async () => {
        const { stub, server, client } = await start();
        const input = text(100 * 1024, 1);
        const output = await withGuard(stub.echo(input), 'a 100 KB echo', 30_000);
        expect(output.length).toBe(input.length);
        expect(output === input).toBe(true);
        expect(server.stats()).toMatchObject({ requests: 1, responses: 1, running: 0, reassemblyRefused: 0 });
        expect(client.stats()).toMatchObject({ calls: 1, responses: 1, inFlight: 0 });
      });

      it('runs several large calls concurrently next to small ones', async () => {
        const { stub } = await start();
        const inputs = [1, 2, 3, 4].map((i) => text(64 * 1024 + i * 1000, i));
        const [echoes, sums] = await withGuard(
          Promise.all([Promise.all(inputs.map((s) => stub.echo(s))), Promise.all([1, 2, 3].map((a) => stub.add({ a, b: a })))]),
          'large and small calls',
          30_000,
        );
        expect(echoes.map((e, i) => e === inputs[i])).toEqual([true, true, true, true]);
        expect(sums).toEqual([2, 4, 6]);
      });

      it('echoes a 1 MiB argument', async () => {
        const { stub } = await start();
        const input = text(1024 * 1024, 5);
        const output = await withGuard(stub.echo(input), 'a 1 MiB echo', 30_000);
        expect(output === input).toBe(true);
      });

      it('fails a 17 MiB argument locally with RESOURCE_EXHAUSTED, sending nothing', async () => {
        const { stub, server, client } = await start();
        await withGuard(stub.add({ a: 1, b: 2 }), 'a first call'); // binds the client
        const error = await rpcErrorOf(stub.echo('x'.repeat(17 * 1024 * 1024)));
        expect(error.code).toBe('RESOURCE_EXHAUSTED');
        expect(error.remote).toBe(false);
        expect(client.stats()).toMatchObject({ calls: 1, inFlight: 0 });
        expect(server.stats()).toMatchObject({ requests: 1, reassemblyRefused: 0, reassemblyBytes: 0 });
        // The client is still usable.
        expect(await withGuard(stub.add({ a: 2, b: 2 }), 'a call after the refusal')).toBe(4);
      });

      it('refuses a notification that does not fit in one datagram (notifications never fragment)', async () => {
        const { stub, server } = await start();
        const error = await rpcErrorOf(stub.echo.notify(text(MAX_DATAGRAM_BYTES + 1)));
        expect(error.code).toBe('RESOURCE_EXHAUSTED');
        expect(error.remote).toBe(false);
        expect(server.stats().notifications).toBe(0);
      });
    });
  }
}
