// Lifecycles over real UDP: notifications, closing either side while calls
// are in flight (nothing hangs, every call settles with a typed error), and
// listen/close misuse.
import { describe, expect, it } from 'vitest';
import { RpcError } from 'udprpc';
import { calc } from '../helpers/calc-service.js';
import { CODECS, loopbackHosts, urlOf, useUdpRpc } from '../helpers/udp-rpc.js';
import { rpcErrorOf, waitFor, withGuard } from '../helpers/wait.js';

const HOSTS = await loopbackHosts();

for (const { host, skip } of HOSTS) {
  for (const [codecName, codec] of CODECS) {
    const title = `lifecycle over ${host}, ${codecName} codec${skip === undefined ? '' : ` — SKIPPED: cannot bind ${host} here (${skip})`}`;
    describe.skipIf(skip !== undefined)(title, () => {
      const rpc = useUdpRpc();

      it('notify() runs the handler and gets no reply', async () => {
        const { server, url, probe } = await rpc.serve({ host, codec });
        const client = rpc.connect(url, { codec });
        const stub = client.stub(calc);
        await withGuard(stub.record.notify({ n: 7 }), 'notify to be handed to the network');
        expect(await withGuard(probe.firstRecord.promise, 'the notification handler')).toBe(7);
        // A reply to the notification would have been sent before this call's,
        // and would show up at the client as an 'unknown-call' drop.
        expect(await withGuard(stub.add({ a: 1, b: 2 }), 'a call after the notification')).toBe(3);
        expect(probe.recorded).toEqual([7]);
        expect(client.stats()).toMatchObject({ notifications: 1, calls: 1, responses: 1, inFlight: 0, drops: {} });
        expect(server.stats()).toMatchObject({ notifications: 1, requests: 1, responses: 1, errors: 0 });
      });

      it('a call in flight when the server closes fails with a typed error, and the handler is aborted', async () => {
        const { server, url, probe } = await rpc.serve({ host, codec });
        const closed = new Promise<void>((resolve) => server.once('close', resolve));
        const stub = rpc.connect(url, { codec }).stub(calc);
        const failure = rpcErrorOf(stub.slow({ ms: 20_000 }, { timeoutMs: 500 })); // observed from the start
        await withGuard(probe.slowStarted.promise, 'the slow handler to start');
        await rpc.closeServer(server);
        await withGuard(closed, "the server's 'close' event");
        const reason = await withGuard(probe.slowAborted.promise, "the handler's ctx.signal to abort");
        expect(RpcError.is(reason) && reason.code).toBe('CANCELLED');
        const error = await failure;
        expect(['DEADLINE_EXCEEDED', 'UNAVAILABLE']).toContain(error.code);
        expect(error.remote).toBe(false);
      });

      it('client.close() rejects calls in flight with CANCELLED, tells the server, and refuses later calls', async () => {
        const { server, url, probe } = await rpc.serve({ host, codec });
        const client = rpc.connect(url, { codec });
        const stub = client.stub(calc);
        const closed = new Promise<void>((resolve) => client.once('close', resolve));
        const failures = Promise.all([1, 2].map(() => rpcErrorOf(stub.slow({ ms: 20_000 }, { timeoutMs: 60_000 }))));
        await withGuard(probe.slowStarted.promise, 'the slow handler to start');
        await client.close();
        await withGuard(closed, "the client's 'close' event");
        for (const error of await failures) {
          expect(error.code).toBe('CANCELLED');
          expect(error.remote).toBe(false);
        }
        const reason = await withGuard(probe.slowAborted.promise, "the handler's ctx.signal to abort");
        expect(RpcError.is(reason) && reason.code).toBe('CANCELLED');
        expect(client.stats().inFlight).toBe(0);
        const later = await rpcErrorOf(stub.add({ a: 1, b: 2 }), 'a call after close');
        expect(later.code).toBe('CANCELLED');
        await client.close(); // idempotent
        // Both handlers are aborted by their CANCELs (or never started, had a request been lost).
        await waitFor(() => server.stats().running === 0, 'no handler left running on the server');
      });

      it('a call to a port nobody serves fails with DEADLINE_EXCEEDED and no hang', async () => {
        const { server, address } = await rpc.serve({ host, codec });
        await rpc.closeServer(server); // frees a port we know is a loopback port of this family
        const client = rpc.connect(urlOf(address), { codec });
        const error = await rpcErrorOf(client.stub(calc).add({ a: 1, b: 2 }, { timeoutMs: 300 }));
        expect(['DEADLINE_EXCEEDED', 'UNAVAILABLE']).toContain(error.code);
        expect(client.stats()).toMatchObject({ calls: 1, inFlight: 0 });
      });

      it('listen() twice, or after close(), is FAILED_PRECONDITION; close() is idempotent', async () => {
        const { server } = await rpc.serve({ host, codec });
        const again = await rpcErrorOf(server.listen(), 'a second listen');
        expect(again.code).toBe('FAILED_PRECONDITION');
        await rpc.closeServer(server);
        await server.close();
        const afterClose = await rpcErrorOf(server.listen(), 'listen after close');
        expect(afterClose.code).toBe('FAILED_PRECONDITION');
      });
    });
  }
}
