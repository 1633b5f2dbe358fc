// Client flow control (issue 6): a per-peer window of calls in flight, a
// bounded queue behind it, and what happens when both are full. Everything
// runs on the simulated network and the virtual clock, so every number below
// is exact and a slow machine cannot change it.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { RpcError } from 'udprpc';
import { settleAll } from '@udprpc/testkit';
import { useHardSim, type HardSim } from './harness.js';

const start = useHardSim();

/** Distinct message ids of the REQUESTs the server received. */
function requestIds(sim: HardSim): Set<number> {
  return new Set(sim.meter.received.filter((r) => r.frame.type === 1).map((r) => r.frame.id));
}

function codeOf(result: PromiseSettledResult<unknown>): string {
  if (result.status === 'fulfilled') return 'ok';
  return RpcError.is(result.reason) ? result.reason.code : `not an RpcError: ${String(result.reason)}`;
}

describe('client per-peer window (flow.maxInFlightPerPeer)', () => {
  it('queues the 3rd..Nth calls behind a window of 2, then completes them all', async () => {
    const sim = await start();
    const { client, stub } = await sim.client({ flow: { maxInFlightPerPeer: 2 } });
    const calls = Array.from({ length: 8 }, (_, tag) => stub.slow({ tag, ms: 100 }));
    await sim.clock.flushMicrotasks();
    expect(client.stats()).toMatchObject({ inFlight: 2, queued: 6 });
    await sim.clock.runFor(50);
    expect(requestIds(sim).size).toBe(2); // the server has seen only the window

    const results = await settleAll(sim.clock, calls, { maxTimeMs: 10_000 });
    expect(results.map((r) => (r.status === 'fulfilled' ? r.value : codeOf(r)))).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(sim.probe.maxRunning).toBe(2);
    expect([...sim.probe.runs.values()]).toEqual(Array(8).fill(1));
    expect(client.stats()).toMatchObject({ inFlight: 0, queued: 0, calls: 8, responses: 8 });
    expect(sim.server.stats()).toMatchObject({ running: 0, queued: 0, rejected: 0 });
  });

  it('fails a queued call whose deadline passes with DEADLINE_EXCEEDED, without ever sending it', async () => {
    const sim = await start();
    const { client, stub } = await sim.client({ flow: { maxInFlightPerPeer: 1 } });
    const a = stub.slow({ tag: 1, ms: 1000 }, { timeoutMs: 5000 });
    const b = stub.slow({ tag: 2, ms: 10 }, { timeoutMs: 300 });
    const c = stub.slow({ tag: 3, ms: 10 }, { timeoutMs: 300 });
    const d = stub.slow({ tag: 4, ms: 10 }, { timeoutMs: 3000 }); // outlives the slow call: sent after it
    let bSettledAt = -1;
    b.catch(() => {}).finally(() => (bSettledAt = sim.clock.now()));
    const results = await settleAll(sim.clock, [a, b, c, d], { maxTimeMs: 10_000 });
    expect(results.map(codeOf)).toEqual(['ok', 'DEADLINE_EXCEEDED', 'DEADLINE_EXCEEDED', 'ok']);
    for (const r of [results[1], results[2]]) expect(r.status === 'rejected' && (r.reason as RpcError).remote).toBe(false);
    expect(bSettledAt).toBe(300); // at its own deadline, not when the window opened
    expect(sim.probe.of(2) + sim.probe.of(3)).toBe(0);
    expect(requestIds(sim).size).toBe(2); // a and d only
    expect(sim.meter.received.filter((r) => r.frame.type === 5)).toEqual([]); // nothing to cancel
    expect(client.stats()).toMatchObject({ inFlight: 0, queued: 0, timeouts: 2 });
  });

  it("whenFull 'fail': a call beyond the window fails at once with a local RESOURCE_EXHAUSTED", async () => {
    const sim = await start();
    const { client, stub } = await sim.client({ flow: { maxInFlightPerPeer: 1, whenFull: 'fail' } });
    const a = stub.slow({ tag: 1, ms: 200 });
    const b = stub.slow({ tag: 2, ms: 1 });
    const outcome = await b.then(
      () => 'resolved',
      (e: unknown) => e,
    );
    expect(sim.clock.now()).toBe(0); // no virtual time needed to refuse it
    expect(RpcError.is(outcome) && { code: outcome.code, remote: outcome.remote }).toEqual({ code: 'RESOURCE_EXHAUSTED', remote: false });
    expect(client.stats()).toMatchObject({ inFlight: 1, queued: 0 });
    const [ra] = await settleAll(sim.clock, [a]);
    expect(codeOf(ra)).toBe('ok');
    // The window is free again.
    const [rc] = await settleAll(sim.clock, [stub.slow({ tag: 3, ms: 1 })]);
    expect(codeOf(rc)).toBe('ok');
    expect(sim.probe.of(2)).toBe(0);
    expect(requestIds(sim).size).toBe(2);
  });

  it('a call beyond maxQueuedPerPeer fails at once with RESOURCE_EXHAUSTED; the queued ones complete', async () => {
    const sim = await start();
    const { client, stub } = await sim.client({ flow: { maxInFlightPerPeer: 1, maxQueuedPerPeer: 2 } });
    const ok = [1, 2, 3].map((tag) => stub.slow({ tag, ms: 50 }));
    const over = stub.slow({ tag: 4, ms: 50 });
    const refused = await over.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(sim.clock.now()).toBe(0);
    expect(RpcError.is(refused) && [refused.code, refused.remote]).toEqual(['RESOURCE_EXHAUSTED', false]);
    expect(client.stats()).toMatchObject({ inFlight: 1, queued: 2 });
    const results = await settleAll(sim.clock, ok);
    expect(results.map(codeOf)).toEqual(['ok', 'ok', 'ok']);
    expect(sim.probe.of(4)).toBe(0);
    expect(client.stats()).toMatchObject({ inFlight: 0, queued: 0 });
  });
});

describe('client flow control holds no state once calls end', () => {
  it('property: any burst ends with every call answered, expired or refused, and nothing left queued', async () => {
    const burst = fc.record({
      window: fc.integer({ min: 1, max: 4 }),
      queue: fc.integer({ min: 0, max: 6 }),
      calls: fc.array(fc.record({ ms: fc.integer({ min: 1, max: 80 }), timeoutMs: fc.integer({ min: 20, max: 400 }) }), {
        minLength: 1,
        maxLength: 14,
      }),
    });
    await fc.assert(
      fc.asyncProperty(burst, async ({ window, queue, calls }) => {
        const sim = await start();
        const { client, stub } = await sim.client({ flow: { maxInFlightPerPeer: window, maxQueuedPerPeer: queue } });
        const promises = calls.map((c, tag) => stub.slow({ tag, ms: c.ms }, { timeoutMs: c.timeoutMs }));
        const results = await settleAll(sim.clock, promises, { maxTimeMs: 10_000 });
        const codes = results.map(codeOf);
        // Exactly the calls beyond window + queue at launch are refused locally.
        expect(codes.filter((c) => c === 'RESOURCE_EXHAUSTED').length).toBe(Math.max(0, calls.length - window - queue));
        expect(codes.every((c) => c === 'ok' || c === 'DEADLINE_EXCEEDED' || c === 'RESOURCE_EXHAUSTED')).toBe(true);
        for (const [tag, code] of codes.entries()) {
          // A call that succeeded ran exactly once; a refused one never reached the server.
          if (code === 'ok') expect(sim.probe.of(tag)).toBe(1);
          if (code === 'RESOURCE_EXHAUSTED') expect(sim.probe.of(tag)).toBe(0);
        }
        expect(sim.probe.maxRunning).toBeLessThanOrEqual(window);
        expect(client.stats()).toMatchObject({ inFlight: 0, queued: 0 });
        await sim.clock.runFor(5_000); // server entries expire too
        expect(sim.server.stats()).toMatchObject({ running: 0, queued: 0, cacheEntries: 0, cacheBytes: 0 });
      }),
      { numRuns: 40, seed: 6001 },
    );
  });

  it('many rounds through a small window leave the client and server at zero', async () => {
    const sim = await start();
    const { client, stub } = await sim.client({ flow: { maxInFlightPerPeer: 3, maxQueuedPerPeer: 100 } });
    for (let round = 0; round < 20; round++) {
      const promises = Array.from({ length: 50 }, (_, i) => stub.slow({ tag: round * 100 + i, ms: 2 }, { timeoutMs: i % 7 === 6 ? 5 : 5000 }));
      const results = await settleAll(sim.clock, promises, { maxTimeMs: 60_000 });
      expect(results.every((r) => codeOf(r) === 'ok' || codeOf(r) === 'DEADLINE_EXCEEDED')).toBe(true);
      expect(client.stats()).toMatchObject({ inFlight: 0, queued: 0 });
    }
    expect(sim.probe.maxRunning).toBeLessThanOrEqual(3);
    await sim.clock.runFor(10_000);
    expect(sim.server.stats()).toMatchObject({ running: 0, queued: 0, cacheEntries: 0 });
  });
});
