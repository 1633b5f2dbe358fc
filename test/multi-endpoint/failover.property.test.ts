// Issue "Beyond one server", properties on a simulated network with several
// servers: a server that dies (its SimTransport closes) or is partitioned
// away mid-run loses no idempotent call, and no non-idempotent call ever runs
// on — or is even sent to — two servers.
//
// Replay a failure: fast-check prints `{ seed, path }`; set UDPRPC_FC_SEED.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { callSchedule, scheduleCalls, seeds, settleAll } from '@udprpc/testkit';
import { startSimCluster, svc } from './sim-cluster.js';

const SEED = Number(process.env['UDPRPC_FC_SEED'] ?? 20_260_301);
const RUNS = Number(process.env['UDPRPC_FC_RUNS'] ?? 1);
const TIMEOUT_MS = 5000;

const plannedCall = fc.record({
  idempotent: fc.boolean(),
  delayMs: fc.integer({ min: 0, max: 50 }),
});

const fault = fc.record({
  kind: fc.constantFrom('close' as const, 'partition' as const),
  atMs: fc.integer({ min: 0, max: 2000 }),
});

describe('multi-endpoint failover on a simulated network (fast-check)', () => {
  it('one of 2–4 servers dies or is cut off mid-run: every idempotent call succeeds, no non-idempotent call reaches two servers', async () => {
    await fc.assert(
      fc.asyncProperty(
        seeds(),
        fc.integer({ min: 2, max: 4 }),
        fc.nat(),
        fault,
        fc.double({ min: 0, max: 0.1, noNaN: true }),
        callSchedule(plannedCall, { minCalls: 5, maxCalls: 40, maxStartMs: 3000 }),
        async (seed, serverCount, victimPick, { kind, atMs }, loss, schedule) => {
          const sim = await startSimCluster({ seed, servers: serverCount, link: { loss, delayMs: { min: 0, max: 5 } } });
          const victim = `s${victimPick % serverCount}`;
          sim.clock.setTimer(atMs, () => {
            if (kind === 'close') void sim.serverEndpoints[victimPick % serverCount]!.close();
            else sim.net.partition(['client'], [victim]);
          });
          const stub = sim.client.stub(svc);
          const calls = scheduleCalls(sim.clock, schedule, (plan, index) => {
            const input = { tag: index + 1, delayMs: plan.delayMs };
            return plan.idempotent ? stub.get(input, { timeoutMs: TIMEOUT_MS }) : stub.put(input, { timeoutMs: TIMEOUT_MS });
          });
          const results = await settleAll(sim.clock, calls, { maxTimeMs: 60_000 });
          schedule.forEach((entry, index) => {
            const tag = index + 1;
            const result = results[index]!;
            if (entry.input.idempotent) {
              expect(result, `idempotent call ${tag} (seed ${seed})`).toMatchObject({ status: 'fulfilled', value: { tag } });
            } else {
              expect(sim.runs.get(tag) ?? 0, `runs of non-idempotent call ${tag}`).toBeLessThanOrEqual(1);
              expect(sim.tap.destinations(tag).size, `servers non-idempotent call ${tag} was sent to`).toBeLessThanOrEqual(1);
              if (result.status === 'fulfilled') expect(result.value.tag).toBe(tag);
            }
          });
          expect(sim.client.stats()).toMatchObject({ inFlight: 0, queued: 0 });
          expect(sim.client.endpoints().every((e) => e.outstanding === 0)).toBe(true);
          await sim.close();
        },
      ),
      { numRuns: 120 * RUNS, seed: SEED },
    );
  });

  it('every server but one dies: idempotent calls still succeed on the survivor (the last endpoint is never ejected)', async () => {
    await fc.assert(
      fc.asyncProperty(seeds(), fc.integer({ min: 2, max: 4 }), async (seed, serverCount) => {
        const sim = await startSimCluster({ seed, servers: serverCount });
        const survivor = seed % serverCount;
        sim.serverEndpoints.forEach((e, i) => {
          if (i !== survivor) void e.close();
        });
        const stub = sim.client.stub(svc);
        const calls = Array.from({ length: 20 }, (_, i) => stub.get({ tag: i + 1, delayMs: 0 }));
        const results = await settleAll(sim.clock, calls, { maxTimeMs: 60_000 });
        for (const r of results) expect(r.status).toBe('fulfilled');
        const states = sim.client.endpoints();
        expect(states[survivor]!.state).toBe('healthy');
        await sim.close();
      }),
      { numRuns: 30 * RUNS, seed: SEED + 1 },
    );
  });
});
