// End-to-end check that the testkit drives the real protocol engines: core's
// ClientEngine and ServerEngine, each behind a TimerDriver, talk over a lossy
// SimNetwork on a VirtualClock. (The public createClient/createServer wiring
// lives in the client/server packages; this is the minimum needed here.)
import { RpcError, type Clock, type PeerAddress, type Transport } from '@udprpc/core';
import { encodeMethodName } from '@udprpc/core/wire';
import { ClientEngine, ServerEngine, TimerDriver } from '@udprpc/core/engine';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  SimNetwork,
  VirtualClock,
  asymmetricConditions,
  callSchedule,
  createRandom,
  deriveSeed,
  scheduleCalls,
  seeds,
  settleAll,
} from '@udprpc/testkit';

async function startServer(transport: Transport, clock: Clock, executions: Map<string, number>) {
  const sleep = (ms: number) => new Promise<void>((resolve) => clock.setTimer(ms, resolve));
  const engine: ServerEngine = new ServerEngine({
    send: (bytes, to) => transport.send(bytes, to),
    // The first server ever at this simulated address: no start-up grace (protocol.md §6.3).
    startupGraceMs: 0,
    hooks: {
      onCall(call) {
        // Calls are handles compared by identity; a string names the (session, id)
        // so that a second execution of the same call is still counted as such.
        const name = `${call.session}|${call.id}`;
        executions.set(name, (executions.get(name) ?? 0) + 1);
        void (async () => {
          await sleep(call.payload.length % 7); // some handlers take a while
          engine.respond(call, { ok: true, payload: call.payload.slice().reverse() }, clock.now());
          driver.update();
        })();
      },
    },
  });
  const driver = new TimerDriver(engine, clock);
  await transport.listen(
    (bytes, from) => {
      engine.receive(bytes, from, clock.now());
      driver.update();
    },
    () => {},
  );
}

async function startClient(transport: Transport, clock: Clock, server: PeerAddress, random: () => number) {
  const engine = new ClientEngine({ send: (bytes, to) => transport.send(bytes, to), random });
  const driver = new TimerDriver(engine, clock);
  await transport.listen(
    (bytes, from) => {
      engine.receive(bytes, from, clock.now());
      driver.update();
    },
    () => {},
  );
  const method = encodeMethodName('echo.reverse');
  const call = (payload: Uint8Array, timeoutMs = 5000) =>
    new Promise<Uint8Array>((resolve, reject) => {
      const now = clock.now();
      const id = engine.call({ peer: server, method, payload, deadlineAt: now + timeoutMs }, now, (outcome) =>
        outcome.ok ? resolve(outcome.payload) : reject(outcome.error),
      );
      if (id instanceof RpcError) reject(id);
      driver.update();
    });
  return { call, engine };
}

describe('core engines on the simulated network', () => {
  it('property: under loss, duplication, delay and reordering every call gets its answer, each handler runs once', async () => {
    await fc.assert(
      fc.asyncProperty(
        seeds(),
        asymmetricConditions({ maxLoss: 0.3, maxDuplicate: 0.2, maxDelayMs: 50 }),
        callSchedule(fc.uint8Array({ minLength: 1, maxLength: 64 }), { maxCalls: 8, maxStartMs: 2000 }),
        async (seed, { up, down }, schedule) => {
          const clock = new VirtualClock();
          const net = new SimNetwork({ clock, seed: deriveSeed(seed, 'net') });
          const serverEp = net.endpoint('server');
          const clientEp = net.endpoint('client');
          net.setLink(clientEp, serverEp, up);
          net.setLink(serverEp, clientEp, down);
          const executions = new Map<string, number>();
          await startServer(serverEp, clock, executions);
          const client = await startClient(clientEp, clock, serverEp.address, createRandom(deriveSeed(seed, 'client')));

          const calls = scheduleCalls(clock, schedule, (input) => client.call(input));
          const results = await settleAll(clock, calls, { maxTimeMs: 60_000 });

          results.forEach((r, i) => {
            expect(r).toEqual({ status: 'fulfilled', value: schedule[i]!.input.slice().reverse() });
          });
          expect(executions.size).toBe(schedule.length);
          for (const count of executions.values()) expect(count).toBe(1);
          expect(client.engine.stats().inFlight).toBe(0);
        },
      ),
      { numRuns: 60, seed: 1_125_2025 },
    );
  });

  it('a partition outlasting the deadline fails the call with DEADLINE_EXCEEDED at the deadline', async () => {
    const clock = new VirtualClock();
    const net = new SimNetwork({ clock, seed: 3, defaults: { delayMs: 2 } });
    const serverEp = net.endpoint('server');
    const clientEp = net.endpoint('client');
    await startServer(serverEp, clock, new Map());
    const client = await startClient(clientEp, clock, serverEp.address, createRandom(3));
    net.partition([clientEp], [serverEp]);
    const [result] = await settleAll(clock, [client.call(Uint8Array.of(1), 1000)]);
    expect(result.status).toBe('rejected');
    expect((result as PromiseRejectedResult).reason).toMatchObject({ code: 'DEADLINE_EXCEEDED' });
    expect(clock.now()).toBe(1000);
    expect(net.stats().partitioned).toBeGreaterThan(3);
  });
});
