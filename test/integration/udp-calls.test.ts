// Typed calls end to end over real UDP through the `udprpc` package: success,
// typed and untyped handler errors, unknown methods, deadlines, cancellation,
// events and counters — on IPv4 and IPv6 loopback, with both codecs.
import { describe, expect, expectTypeOf, it } from 'vitest';
import { RpcError } from 'udprpc';
import { calc, SECRET, WITHDRAW_DETAILS } from '../helpers/calc-service.js';
import { CODECS, loopbackHosts, useUdpRpc } from '../helpers/udp-rpc.js';
import { rpcErrorOf, withGuard } from '../helpers/wait.js';

const HOSTS = await loopbackHosts();

for (const { host, skip } of HOSTS) {
  for (const [codecName, codec] of CODECS) {
    const title = `udp calls over ${host}, ${codecName} codec${skip === undefined ? '' : ` — SKIPPED: cannot bind ${host} here (${skip})`}`;
    describe.skipIf(skip !== undefined)(title, () => {
      const rpc = useUdpRpc();
      const start = async () => {
        const s = await rpc.serve({ host, codec });
        const client = rpc.connect(s.url, { codec });
        return { ...s, client, stub: client.stub(calc) };
      };

      it("emits 'listening' with the bound address, on the requested host", async () => {
        const { address, listened } = await start();
        expect(listened).toEqual([address]);
        expect(address.address).toBe(host);
        expect(address.family).toBe(host.includes(':') ? 'IPv6' : 'IPv4');
        expect(address.port).toBeGreaterThan(0);
      });

      it('returns the typed result of a call', async () => {
        const { stub, probe } = await start();
        const sum = stub.add({ a: 2, b: 40 });
        expectTypeOf(sum).toEqualTypeOf<Promise<number>>();
        expect(await withGuard(sum, 'add')).toBe(42);
        expect(await withGuard(stub.echo('héllo ✓'), 'echo')).toBe('héllo ✓');
        expect(probe.adds).toBe(1);
      });

      it('delivers a typed RpcError thrown by the handler: code, message, details, remote', async () => {
        const { stub, errors } = await start();
        const error = await rpcErrorOf(stub.withdraw({ amount: 5 }));
        expect(error).toBeInstanceOf(RpcError);
        expect(error.code).toBe('FAILED_PRECONDITION');
        expect(error.message).toBe('cannot withdraw 5: balance too low');
        expect(error.remote).toBe(true);
        expect(error.details).toEqual(WITHDRAW_DETAILS);
        expect(errors).toEqual([]); // a typed error is an answer, not a server fault
      });

      it("turns a plain Error into INTERNAL 'internal error' without leaking it, and emits it on the server", async () => {
        const { stub, server, errors } = await start();
        const error = await rpcErrorOf(stub.crash());
        expect(error.code).toBe('INTERNAL');
        expect(error.remote).toBe(true);
        expect(error.message).toBe('internal error');
        expect(error.details).toBeUndefined();
        expect(JSON.stringify({ ...error, message: error.message, stack: error.stack })).not.toContain('hunter2');
        expect(errors).toHaveLength(1);
        expect(errors[0]?.message).toBe(SECRET);
        expect(server.stats().handlerErrors).toBe(1);
      });

      it('answers an unknown method with NOT_FOUND (remote)', async () => {
        const { client } = await start();
        const error = await rpcErrorOf(client.call('calc', 'nope', { a: 1 }));
        expect(error.code).toBe('NOT_FOUND');
        expect(error.remote).toBe(true);
        expect(error.message).toContain('calc.nope');
        const other = await rpcErrorOf(client.call('nosuchservice', 'add', { a: 1, b: 2 }));
        expect(other.code).toBe('NOT_FOUND');
      });

      it('fails a slow call with local DEADLINE_EXCEEDED and aborts the handler on the server', async () => {
        const { stub, probe, client } = await start();
        await withGuard(stub.add({ a: 0, b: 0 }), 'a first call'); // binds first: the deadline starts before connecting
        const error = await rpcErrorOf(stub.slow({ ms: 20_000 }, { timeoutMs: 150 }));
        expect(error.code).toBe('DEADLINE_EXCEEDED');
        expect(error.remote).toBe(false);
        // The server's own deadline or the client's CANCEL, whichever lands first.
        const reason = await withGuard(probe.slowAborted.promise, "the handler's ctx.signal to abort");
        expect(RpcError.is(reason) && ['DEADLINE_EXCEEDED', 'CANCELLED'].includes(reason.code)).toBe(true);
        expect(client.stats().timeouts).toBe(1);
      });

      it('rejects at once with CANCELLED when the AbortSignal fires, and the CANCEL aborts the handler', async () => {
        const { stub, probe, server } = await start();
        const controller = new AbortController();
        const call = stub.slow({ ms: 20_000 }, { signal: controller.signal, timeoutMs: 60_000 });
        const ctx = await withGuard(probe.slowStarted.promise, 'the slow handler to start');
        expect(ctx.remainingMs()).toBeGreaterThan(0);
        controller.abort();
        const error = await rpcErrorOf(call);
        expect(error.code).toBe('CANCELLED');
        expect(error.remote).toBe(false);
        const reason = await withGuard(probe.slowAborted.promise, "the handler's ctx.signal to abort");
        expect(RpcError.is(reason) && reason.code).toBe('CANCELLED');
        expect(server.stats().cancelled).toBe(1);
      });

      it('maps AbortSignal.timeout() to DEADLINE_EXCEEDED and still cancels on the server', async () => {
        const { stub, probe } = await start();
        await withGuard(stub.add({ a: 0, b: 0 }), 'a first call'); // binds first, so the request is sent before the signal fires
        const error = await rpcErrorOf(stub.slow({ ms: 20_000 }, { signal: AbortSignal.timeout(100), timeoutMs: 60_000 }));
        expect(error.code).toBe('DEADLINE_EXCEEDED');
        expect(error.remote).toBe(false);
        const reason = await withGuard(probe.slowAborted.promise, "the handler's ctx.signal to abort");
        expect(RpcError.is(reason) && reason.code).toBe('CANCELLED');
      });

      it('rejects an already aborted signal without sending anything', async () => {
        const { stub, server } = await start();
        await withGuard(stub.add({ a: 1, b: 1 }), 'a first call'); // binds the client
        const error = await rpcErrorOf(stub.add({ a: 1, b: 2 }, { signal: AbortSignal.abort() }));
        expect(error.code).toBe('CANCELLED');
        expect(server.stats().requests).toBe(1);
      });

      it('counts calls, responses and errors on both sides, with nothing left in flight', async () => {
        const { stub, client, server } = await start();
        await withGuard(stub.add({ a: 1, b: 2 }), 'add');
        await withGuard(stub.add({ a: 3, b: 4 }), 'add');
        await rpcErrorOf(stub.withdraw({ amount: 1 }));
        await rpcErrorOf(stub.crash());
        await rpcErrorOf(client.call('calc', 'nope', null));
        const c = client.stats();
        expect(c).toMatchObject({ calls: 5, responses: 2, errors: 3, inFlight: 0, cancelled: 0, timeouts: 0 });
        const s = server.stats();
        expect(s).toMatchObject({ requests: 5, responses: 2, errors: 3, running: 0, handlerErrors: 1 });
        expect(client.timing()?.srttMs).toBeGreaterThanOrEqual(0);
      });
    });
  }
}
