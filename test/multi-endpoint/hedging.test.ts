// Hedging of idempotent calls on a simulated network: a second copy to
// another endpoint after a delay, the loser cancelled, bounded by a budget.
import { describe, expect, it } from 'vitest';
import { FrameType } from '@udprpc/core/wire';
import { settleAll } from '@udprpc/testkit';
import { startSimCluster, svc } from './sim-cluster.js';

describe('hedging', () => {
  it('a call stuck on a slow server is hedged to another after delayMs; the first answer wins and the loser gets a CANCEL', async () => {
    const sim = await startSimCluster({ seed: 21, servers: 2, client: { balancer: 'round-robin', hedging: { enabled: true, delayMs: 50 } } });
    sim.net.setLinkBoth('client', 's0', { delayMs: 200 });
    const hedges: string[] = [];
    sim.client.on('hedge', (info) => hedges.push(`${info.peer.address}@${info.delayMs}`));
    const stub = sim.client.stub(svc);
    const calls = Array.from({ length: 6 }, (_, i) => stub.get({ tag: i + 1, delayMs: 0 }));
    const results = await settleAll(sim.clock, calls, { maxTimeMs: 60_000 });
    // Round robin starts calls 1, 3, 5 on s0: each is hedged to s1, which answers first.
    expect(results.map((r) => (r.status === 'fulfilled' ? r.value.server : 'failed'))).toEqual(['s1', 's1', 's1', 's1', 's1', 's1']);
    expect(hedges).toEqual(['s1@50', 's1@50', 's1@50']);
    expect(sim.client.stats().routing).toMatchObject({ hedges: 3, hedgesWon: 3, failovers: 0 });
    expect(sim.tap.count(FrameType.CANCEL, 's0')).toBe(3);
    expect(sim.client.endpoints().map((e) => e.outstanding)).toEqual([0, 0]);
    // A cancelled hedge loser says nothing about its endpoint's health.
    expect(sim.client.endpoints()[0]).toMatchObject({ state: 'healthy', consecutiveFailures: 0 });
    await sim.close();
  });

  it('non-idempotent calls are never hedged', async () => {
    const sim = await startSimCluster({ seed: 22, servers: 2, client: { balancer: 'round-robin', hedging: { enabled: true, delayMs: 10 } } });
    sim.net.setLinkBoth('client', 's0', { delayMs: 200 });
    const stub = sim.client.stub(svc);
    const results = await settleAll(sim.clock, Array.from({ length: 6 }, (_, i) => stub.put({ tag: i + 1, delayMs: 0 })));
    expect(results.map((r) => (r.status === 'fulfilled' ? r.value.server : 'failed'))).toEqual(['s0', 's1', 's0', 's1', 's0', 's1']);
    expect(sim.client.stats().routing.hedges).toBe(0);
    for (let tag = 1; tag <= 6; tag++) expect(sim.tap.destinations(tag).size).toBe(1);
    await sim.close();
  });

  it('the hedge budget bounds hedges: an empty bucket sends none', async () => {
    const sim = await startSimCluster({
      seed: 23,
      servers: 2,
      client: { balancer: 'round-robin', hedging: { enabled: true, delayMs: 20, budget: { ratio: 0, burst: 2, minPerSecond: 0 } } },
    });
    sim.net.setLinkBoth('client', 's0', { delayMs: 200 });
    const stub = sim.client.stub(svc);
    const results = await settleAll(sim.clock, Array.from({ length: 20 }, (_, i) => stub.get({ tag: i + 1, delayMs: 0 })));
    expect(results.every((r) => r.status === 'fulfilled')).toBe(true);
    expect(sim.client.stats().routing).toMatchObject({ hedges: 2, hedgesWon: 2, hedgesDenied: 8 });
    await sim.close();
  });

  it("delayMs 'p95' waits for 20 latencies, then hedges after the observed 95th percentile", async () => {
    const sim = await startSimCluster({ seed: 24, servers: 2, link: { delayMs: 1 }, client: { balancer: 'round-robin', hedging: { enabled: true } } });
    const delays: number[] = [];
    sim.client.on('hedge', (info) => delays.push(info.delayMs));
    const stub = sim.client.stub(svc);
    let tag = 0;
    // 19 quick calls: not enough samples yet, so no hedge even when s0 is slow.
    for (let i = 0; i < 19; i++) await settleAll(sim.clock, [stub.get({ tag: ++tag, delayMs: i % 2 === 0 ? 8 : 2 })]);
    expect(delays).toEqual([]);
    await settleAll(sim.clock, [stub.get({ tag: ++tag, delayMs: 2 })]);
    sim.net.setLinkBoth('client', 's0', { delayMs: 300 });
    const results = await settleAll(sim.clock, Array.from({ length: 4 }, () => stub.get({ tag: ++tag, delayMs: 0 })));
    expect(results.every((r) => r.status === 'fulfilled' && r.value.server === 's1')).toBe(true);
    // Latencies were 2 ms transit + 8 or 2 ms of handler: the p95 of 20 is 10 ms.
    expect(delays).toEqual([10, 10]);
    await sim.close();
  });
});
