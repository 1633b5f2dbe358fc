// Load balancing, ejection and probing back, on a simulated network.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { seeds, settleAll } from '@udprpc/testkit';
import { startSimCluster, svc } from './sim-cluster.js';

const SEED = Number(process.env['UDPRPC_FC_SEED'] ?? 20_260_311);

describe('load balancing over several servers', () => {
  it('p2c (the default) spreads concurrent calls over every server', async () => {
    await fc.assert(
      fc.asyncProperty(seeds(), fc.integer({ min: 2, max: 4 }), async (seed, servers) => {
        const sim = await startSimCluster({ seed, servers, link: { delayMs: { min: 1, max: 5 } } });
        const stub = sim.client.stub(svc);
        const calls = Array.from({ length: 40 }, (_, i) => stub.put({ tag: i + 1, delayMs: 20 }));
        const results = await settleAll(sim.clock, calls, { maxTimeMs: 60_000 });
        expect(results.every((r) => r.status === 'fulfilled')).toBe(true);
        for (let i = 0; i < servers; i++) expect(sim.perServer.get(`s${i}`) ?? 0, `calls on s${i}`).toBeGreaterThan(0);
        // Two choices on outstanding calls keeps the busiest server within a small factor of the mean.
        expect(Math.max(...sim.perServer.values())).toBeLessThanOrEqual((40 / servers) * 2);
        await sim.close();
      }),
      { numRuns: 40, seed: SEED },
    );
  });

  it('round robin gives each server the same share of sequential calls', async () => {
    const sim = await startSimCluster({ seed: 7, servers: 3, client: { balancer: 'round-robin' } });
    const stub = sim.client.stub(svc);
    for (let i = 0; i < 30; i++) {
      const [r] = await settleAll(sim.clock, [stub.put({ tag: i + 1, delayMs: 0 })]);
      expect(r.status).toBe('fulfilled');
    }
    expect([...sim.perServer.entries()].sort()).toEqual([
      ['s0', 10],
      ['s1', 10],
      ['s2', 10],
    ]);
    await sim.close();
  });

  it('an endpoint that fails 5 times in a row is ejected, then probed back in with one trial call after the partition heals', async () => {
    // Detection by silence off: this is the slower path, by attempts that fail (fast-failover.test.ts has the other).
    const sim = await startSimCluster({ seed: 11, servers: 2, client: { health: { silentRetransmissions: Infinity } } });
    const states: string[] = [];
    sim.client.on('health', (info) => states.push(`${info.peer.address}:${info.state}`));
    const stub = sim.client.stub(svc);
    const cut = sim.net.partition(['client'], ['s1']);
    // Sequential idempotent calls: those sent to s1 fail over to s0 and count against s1.
    let tag = 0;
    while (sim.client.endpoints()[1]!.state !== 'ejected') {
      expect(tag).toBeLessThan(200); // bounded
      const [r] = await settleAll(sim.clock, [stub.get({ tag: ++tag, delayMs: 0 })], { maxTimeMs: 60_000 });
      expect(r).toMatchObject({ status: 'fulfilled', value: { server: 's0' } });
    }
    expect(states).toEqual(['s1:ejected']);
    const ejected = sim.client.endpoints()[1]!;
    expect(ejected.consecutiveFailures).toBe(5);
    // While ejected, nothing is sent to s1.
    const sentBefore = sim.tap.count(1, 's1');
    for (let i = 0; i < 10; i++) await settleAll(sim.clock, [stub.get({ tag: ++tag, delayMs: 0 })]);
    expect(sim.tap.count(1, 's1')).toBe(sentBefore);

    cut.heal();
    await sim.clock.runFor(1300); // past the first ejection period (1000 ms × at most 1.2)
    expect(sim.client.endpoints()[1]!.state).toBe('probing');
    // The next idempotent call is s1's trial; it succeeds and s1 is back in rotation.
    const [trial] = await settleAll(sim.clock, [stub.get({ tag: ++tag, delayMs: 0 })]);
    expect(trial).toMatchObject({ status: 'fulfilled', value: { server: 's1' } });
    expect(sim.client.endpoints()[1]).toMatchObject({ state: 'healthy', consecutiveFailures: 0, ejections: 1 });
    expect(states).toEqual(['s1:ejected', 's1:healthy']);
    const before = sim.perServer.get('s1') ?? 0;
    await settleAll(sim.clock, Array.from({ length: 20 }, () => stub.get({ tag: ++tag, delayMs: 5 })));
    expect(sim.perServer.get('s1')! - before).toBeGreaterThan(0);
    await sim.close();
  });

  it('a failed trial ejects the endpoint again, for twice as long', async () => {
    // Trial calls bring back endpoints ejected for failed attempts; those ejected for silence are PINGed (fast-failover.test.ts).
    const sim = await startSimCluster({ seed: 12, servers: 2, client: { health: { silentRetransmissions: Infinity } } });
    const stub = sim.client.stub(svc);
    sim.net.partition(['client'], ['s1']);
    let tag = 0;
    while (sim.client.endpoints()[1]!.state !== 'ejected' && tag < 200) await settleAll(sim.clock, [stub.get({ tag: ++tag, delayMs: 0 })], { maxTimeMs: 60_000 });
    expect(sim.client.endpoints()[1]!.state).toBe('ejected');
    const firstEnd = sim.clock.now();
    await sim.clock.runFor(1300);
    const [trial] = await settleAll(sim.clock, [stub.get({ tag: ++tag, delayMs: 0 })], { maxTimeMs: 60_000 });
    expect(trial).toMatchObject({ status: 'fulfilled', value: { server: 's0' } }); // failed over after the trial failed
    expect(sim.client.endpoints()[1]).toMatchObject({ state: 'ejected', ejections: 2 });
    expect(sim.client.stats().routing.ejections).toBe(2);
    // Second period: 2000 ms × [0.8, 1.2): still ejected 1500 ms after the trial failed.
    await sim.clock.runFor(1500);
    expect(sim.client.endpoints()[1]!.state).toBe('ejected');
    expect(sim.clock.now()).toBeGreaterThan(firstEnd);
    await sim.close();
  });

  it('non-idempotent calls stay on their endpoint: a partitioned server fails them, it never moves them', async () => {
    const sim = await startSimCluster({ seed: 13, servers: 2 });
    const stub = sim.client.stub(svc);
    sim.net.partition(['client'], ['s0']);
    const calls = Array.from({ length: 20 }, (_, i) => stub.put({ tag: i + 1, delayMs: 0 }, { timeoutMs: 1000 }));
    const results = await settleAll(sim.clock, calls, { maxTimeMs: 60_000 });
    for (let i = 0; i < 20; i++) {
      const sentTo = sim.tap.destinations(i + 1);
      expect(sentTo.size).toBe(1);
      const r = results[i]!;
      if (sentTo.has('s0')) expect(r).toMatchObject({ status: 'rejected', reason: { code: 'DEADLINE_EXCEEDED' } });
      else expect(r).toMatchObject({ status: 'fulfilled', value: { server: 's1' } });
    }
    expect(sim.client.stats().routing.failovers).toBe(0);
    await sim.close();
  });
});
