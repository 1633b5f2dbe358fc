// Transports and codecs are pluggable: the same scenarios as over UDP, with
// the same `udprpc` createServer/createClient, run over the testkit's
// in-memory transports — a microtask loopback on the real clock and a
// simulated network on a virtual clock — with both codecs.
import { describe, expect, expectTypeOf, it } from 'vitest';
import { RpcError } from 'udprpc';
import { SECRET, WITHDRAW_DETAILS } from '../helpers/calc-service.js';
import { useInMemoryTransports } from '../helpers/in-memory-rpc.js';
import { CODECS } from '../helpers/udp-rpc.js';

/** The rejection reason of a settled outcome, as an RpcError. */
function rejection(outcome: PromiseSettledResult<unknown> | undefined): RpcError {
  if (outcome?.status !== 'rejected') throw new Error(`expected a rejection, got ${JSON.stringify(outcome)}`);
  if (!RpcError.is(outcome.reason)) throw new Error(`expected an RpcError, got ${String(outcome.reason)}`);
  return outcome.reason;
}

describe('pluggable transports and codecs', () => {
  for (const transport of useInMemoryTransports()) {
    for (const [codecName, codec] of CODECS) {
      describe(`${transport.name}, ${codecName} codec`, () => {
        const start = () => transport.start(codec);

        it('returns typed results', async () => {
          const { stub, settle, probe } = await start();
          const sum = stub.add({ a: 2, b: 40 });
          expectTypeOf(sum).toEqualTypeOf<Promise<number>>();
          const [a, b] = await settle<unknown>([sum, stub.echo('ünïcødé ✓')]);
          expect(a).toEqual({ status: 'fulfilled', value: 42 });
          expect(b).toEqual({ status: 'fulfilled', value: 'ünïcødé ✓' });
          expect(probe.adds).toBe(1);
        });

        it('delivers a typed remote error with its details', async () => {
          const { stub, settle } = await start();
          const error = rejection((await settle([stub.withdraw({ amount: 5 })]))[0]);
          expect({ code: error.code, remote: error.remote, message: error.message, details: error.details }).toEqual({
            code: 'FAILED_PRECONDITION',
            remote: true,
            message: 'cannot withdraw 5: balance too low',
            details: WITHDRAW_DETAILS,
          });
        });

        it('hides a plain Error behind INTERNAL and reports it on the server', async () => {
          const { stub, settle, errors } = await start();
          const error = rejection((await settle([stub.crash()]))[0]);
          expect({ code: error.code, remote: error.remote, message: error.message }).toEqual({
            code: 'INTERNAL',
            remote: true,
            message: 'internal error',
          });
          expect(errors.map((e) => e.message)).toEqual([SECRET]);
        });

        it('answers an unknown method with NOT_FOUND', async () => {
          const { client, settle } = await start();
          const error = rejection((await settle([client.call('calc', 'nope', { a: 1 })]))[0]);
          expect(error.code).toBe('NOT_FOUND');
          expect(error.remote).toBe(true);
        });

        it('fails a slow call with DEADLINE_EXCEEDED and aborts the handler', async () => {
          const { stub, settle, probe, client } = await start();
          const error = rejection((await settle([stub.slow({ ms: 20_000 }, { timeoutMs: 100 })]))[0]);
          expect(error.code).toBe('DEADLINE_EXCEEDED');
          expect(error.remote).toBe(false);
          const [aborted] = await settle([probe.slowAborted.promise]);
          const reason: unknown = aborted?.status === 'fulfilled' ? aborted.value : undefined;
          expect(RpcError.is(reason) && ['DEADLINE_EXCEEDED', 'CANCELLED'].includes(reason.code)).toBe(true);
          expect(client.stats()).toMatchObject({ timeouts: 1, inFlight: 0 });
        });

        it('cancels through an AbortSignal, and the server handler sees it', async () => {
          const { stub, settle, probe } = await start();
          const controller = new AbortController();
          const call = stub.slow({ ms: 20_000 }, { signal: controller.signal, timeoutMs: 60_000 });
          await settle([probe.slowStarted.promise]);
          controller.abort();
          const error = rejection((await settle([call]))[0]);
          expect(error.code).toBe('CANCELLED');
          const [aborted] = await settle([probe.slowAborted.promise]);
          expect(aborted?.status === 'fulfilled' && RpcError.is(aborted.value) && aborted.value.code).toBe('CANCELLED');
        });

        it('fragments a 100 KB argument over 1200-byte datagrams', async () => {
          const { stub, settle } = await start();
          const input = 'abcdefghij'.repeat(10_240);
          const [echo] = await settle([stub.echo(input)]);
          expect(echo?.status === 'fulfilled' && echo.value === input).toBe(true);
        });

        it('runs 100 concurrent calls and counts them on both sides', async () => {
          const { stub, settle, client, server } = await start();
          const outcomes = await settle(Array.from({ length: 100 }, (_, i) => stub.add({ a: i, b: 1 })));
          expect(outcomes).toEqual(Array.from({ length: 100 }, (_, i) => ({ status: 'fulfilled', value: i + 1 })));
          expect(client.stats()).toMatchObject({ calls: 100, responses: 100, inFlight: 0 });
          expect(server.stats()).toMatchObject({ requests: 100, responses: 100, running: 0 });
        });
      });
    }
  }
});
