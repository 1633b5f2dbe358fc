// Interceptors on both sides, over both in-memory transports: they see
// requests, results and errors, can change the input, can short-circuit, and
// compose as an onion (the first in the list is the outermost).
import { describe, expect, it } from 'vitest';
import { RpcError, msgpackCodec, type ClientInterceptor, type ServerInterceptor } from 'udprpc';
import { createProbe, type CalcProbe } from '../helpers/calc-service.js';
import { useInMemoryTransports } from '../helpers/in-memory-rpc.js';

function describeError(e: unknown): string {
  return RpcError.is(e) ? `${e.code}${e.remote ? ' remote' : ''}` : String(e);
}

/** Logs `input`, then the result or the error of `call`, into `log` under `name`. */
async function trace(name: string, log: string[], label: string, input: unknown, call: () => Promise<unknown>): Promise<unknown> {
  log.push(`${name} > ${label} ${JSON.stringify(input)}`);
  try {
    const result = await call();
    log.push(`${name} < ${JSON.stringify(result)}`);
    return result;
  } catch (e) {
    log.push(`${name} ! ${describeError(e)}`);
    throw e;
  }
}

/** A client interceptor that logs around `next` into `log` under `name`. */
const clientTracer =
  (name: string, log: string[]): ClientInterceptor =>
  (next) =>
  (req) =>
    trace(name, log, `${req.service}.${req.method}`, req.input, () => next(req));

/** The same on the server side. */
const serverTracer =
  (name: string, log: string[]): ServerInterceptor =>
  (next) =>
  (req) =>
    trace(name, log, `${req.service}.${req.method}`, req.input, async () => next(req));

describe('interceptors', () => {
  for (const transport of useInMemoryTransports()) {
    describe(transport.name, () => {
      const start = (probe: CalcProbe, server: ServerInterceptor[], client: ClientInterceptor[]) =>
        transport.start(msgpackCodec, { interceptors: server }, { interceptors: client }, probe);

      it('run as an onion on both sides, seeing requests and results in order', async () => {
        const probe = createProbe();
        const { log } = probe;
        const rpc = await start(probe, [serverTracer('s1', log), serverTracer('s2', log)], [clientTracer('c1', log), clientTracer('c2', log)]);
        const [sum] = await rpc.settle([rpc.stub.add({ a: 1, b: 2 })]);
        expect(sum).toEqual({ status: 'fulfilled', value: 3 });
        expect(log).toEqual([
          'c1 > calc.add {"a":1,"b":2}',
          'c2 > calc.add {"a":1,"b":2}',
          's1 > calc.add {"a":1,"b":2}',
          's2 > calc.add {"a":1,"b":2}',
          'add(1,2)',
          's2 < 3',
          's1 < 3',
          'c2 < 3',
          'c1 < 3',
        ]);
      });

      it('see errors on their way out: the handler’s on the server, the remote RpcError on the client', async () => {
        const probe = createProbe();
        const { log } = probe;
        const rpc = await start(probe, [serverTracer('s1', log)], [clientTracer('c1', log)]);
        const [outcome] = await rpc.settle([rpc.stub.withdraw({ amount: 5 })]);
        expect(outcome?.status).toBe('rejected');
        expect(log).toEqual(['c1 > calc.withdraw {"amount":5}', 's1 > calc.withdraw {"amount":5}', 'withdraw(5)', 's1 ! FAILED_PRECONDITION', 'c1 ! FAILED_PRECONDITION remote']);
      });

      it('may change the input on either side and the result on the way back', async () => {
        const probe = createProbe();
        const doubleA: ClientInterceptor = (next) => async (req) => {
          const { a, b } = req.input as { a: number; b: number };
          req.input = { a: a * 2, b };
          return ((await next(req)) as number) + 0.5;
        };
        const addHundredToB: ServerInterceptor = (next) => (req) => {
          const { a, b } = req.input as { a: number; b: number };
          req.input = { a, b: b + 100 };
          return next(req);
        };
        const rpc = await start(probe, [addHundredToB], [doubleA]);
        const [sum] = await rpc.settle([rpc.stub.add({ a: 1, b: 2 })]);
        expect(probe.log).toEqual(['add(2,102)']);
        expect(sum).toEqual({ status: 'fulfilled', value: 104.5 });
      });

      it('a client interceptor may answer without calling next: nothing is sent', async () => {
        const probe = createProbe();
        const cache: ClientInterceptor = (next) => (req) => (req.method === 'add' ? Promise.resolve(999) : next(req));
        const rpc = await start(probe, [], [cache]);
        const [cached, echoed] = await rpc.settle<unknown>([rpc.stub.add({ a: 1, b: 2 }), rpc.stub.echo('hi')]);
        expect(cached).toEqual({ status: 'fulfilled', value: 999 });
        expect(echoed).toEqual({ status: 'fulfilled', value: 'hi' });
        expect(probe.adds).toBe(0);
        expect(rpc.client.stats().calls).toBe(1);
        expect(rpc.server.stats().requests).toBe(1);
      });

      it('a client interceptor may fail a call locally with an RpcError', async () => {
        const probe = createProbe();
        const refuse: ClientInterceptor = () => () => Promise.reject(new RpcError('UNAUTHENTICATED', 'no token'));
        const rpc = await start(probe, [], [refuse]);
        const [outcome] = await rpc.settle([rpc.stub.add({ a: 1, b: 2 })]);
        expect(outcome?.status === 'rejected' && describeError(outcome.reason)).toBe('UNAUTHENTICATED');
        expect(rpc.server.stats().requests).toBe(0);
      });

      // Issue 11.14: a plain Error from a client interceptor reached the caller unwrapped.
      it('a client interceptor that throws or rejects with a plain Error fails the call with an RpcError INTERNAL carrying it as cause', async () => {
        const probe = createProbe();
        const boom = new Error('interceptor bug');
        const sync: ClientInterceptor = (next) => (req) => {
          if (req.method === 'add') throw boom;
          return next(req);
        };
        const rejecting: ClientInterceptor = (next) => (req) => (req.method === 'echo' ? Promise.reject('a string, not even an Error') : next(req));
        const afterNext: ClientInterceptor = (next) => async (req) => {
          const value = await next(req);
          if (req.method === 'withdraw') throw new TypeError(`cannot read ${String(value)}`);
          return value;
        };
        const rpc = await start(probe, [], [sync, rejecting, afterNext]);
        const outcomes = await rpc.settle<unknown>([rpc.stub.add({ a: 1, b: 2 }), rpc.stub.echo('x'), rpc.stub.withdraw({ amount: 1 })]);
        const seen = outcomes.map((o) => (o.status === 'rejected' && RpcError.is(o.reason) ? [o.reason.code, o.reason.remote, o.reason.message, o.reason.cause] : o));
        expect(seen[0]).toEqual(['INTERNAL', false, 'interceptor bug', boom]);
        expect(seen[1]).toEqual(['INTERNAL', false, 'a string, not even an Error', 'a string, not even an Error']);
        // withdraw fails remotely: the server's RpcError passes through the interceptors untouched.
        expect((seen[2] as unknown[]).slice(0, 2)).toEqual(['FAILED_PRECONDITION', true]);
        expect(rpc.server.stats().requests).toBe(1);
      });

      it('a server interceptor may refuse with PERMISSION_DENIED before the handler, or answer itself', async () => {
        const probe = createProbe();
        const { log } = probe;
        const auth: ServerInterceptor = (next) => (req) => {
          if (req.method === 'withdraw') throw new RpcError('PERMISSION_DENIED', 'not your account', { details: { need: 'owner' } });
          if (req.method === 'echo') return Promise.resolve(`intercepted ${JSON.stringify(req.input)}`);
          return next(req);
        };
        const rpc = await start(probe, [serverTracer('s1', log), auth, serverTracer('s2', log)], []);
        const [denied, echoed, sum] = await rpc.settle<unknown>([rpc.stub.withdraw({ amount: 1 }), rpc.stub.echo('x'), rpc.stub.add({ a: 2, b: 3 })]);
        if (denied?.status !== 'rejected' || !RpcError.is(denied.reason)) throw new Error('withdraw was not refused');
        expect({ code: denied.reason.code, remote: denied.reason.remote, message: denied.reason.message, details: denied.reason.details }).toEqual({
          code: 'PERMISSION_DENIED',
          remote: true,
          message: 'not your account',
          details: { need: 'owner' },
        });
        expect(echoed).toEqual({ status: 'fulfilled', value: 'intercepted "x"' });
        expect(sum).toEqual({ status: 'fulfilled', value: 5 });
        // Only `add` got past `auth` to the inner interceptor and the handler.
        expect(log.filter((l) => !l.startsWith('s1'))).toEqual(['s2 > calc.add {"a":2,"b":3}', 'add(2,3)', 's2 < 5']);
        expect(log.filter((l) => l.startsWith('s1 !'))).toEqual(['s1 ! PERMISSION_DENIED']);
        expect(rpc.errors).toEqual([]);
      });

      it('server interceptors see the call context: deadline, peer and call id', async () => {
        const probe = createProbe();
        const seen: { remainingPositive: boolean; callId: string; service: string; method: string }[] = [];
        const inspect: ServerInterceptor = (next) => (req) => {
          seen.push({ remainingPositive: req.ctx.remainingMs() > 0, callId: req.ctx.callId, service: req.ctx.service, method: req.ctx.method });
          return next(req);
        };
        const rpc = await start(probe, [inspect], []);
        await rpc.settle([rpc.stub.add({ a: 1, b: 1 }), rpc.stub.add({ a: 2, b: 2 })]);
        expect(seen.map((s) => [s.remainingPositive, s.service, s.method])).toEqual([
          [true, 'calc', 'add'],
          [true, 'calc', 'add'],
        ]);
        expect(new Set(seen.map((s) => s.callId)).size).toBe(2);
      });
    });
  }
});
