// Per-source rate limiting (issue 6): each source address has a token bucket
// (sources.ratePerSecond, sources.rateBurst); datagrams beyond it are dropped
// as 'rate-limited' before they are even decoded, without touching any other
// source. The table of sources is an LRU bounded by sources.maxSources.
import { describe, expect, it } from 'vitest';
import { FrameType } from '@udprpc/core/wire';
import { peerKey } from '@udprpc/core/engine';
import { settleAll } from '@udprpc/testkit';
import { bareFrame, requestFrame, useHardSim } from './harness.js';

const start = useHardSim();

describe('per-source rate limit', () => {
  it("drops one source's excess as 'rate-limited' while another source is unaffected", async () => {
    const sim = await start({ server: { sources: { ratePerSecond: 100, rateBurst: 20 } } });
    const flooder = await sim.raw('flooder');
    const { client, stub, ep } = await sim.client();
    for (let id = 0; id < 200; id++) flooder.send(bareFrame(FrameType.PING, { id }));
    const results = await settleAll(sim.clock, Array.from({ length: 10 }, (_, i) => stub.add({ a: i, b: i })));
    expect(results.map((r) => r.status === 'fulfilled' && r.value)).toEqual(Array.from({ length: 10 }, (_, i) => 2 * i));
    expect(flooder.received.filter((f) => f.type === FrameType.PONG).length).toBe(20); // the burst
    expect(sim.server.stats().drops).toEqual({ 'rate-limited': 180 });
    expect(sim.drops.every((d) => peerKey(d.from) === peerKey(flooder.address))).toBe(true);
    expect(client.stats().retransmits).toBe(0);

    // A sustained flood: 50 datagrams every 100 ms for 2 s, while the client
    // keeps calling. The flooder gets at most burst + rate × time through.
    const pongsBefore = flooder.received.length;
    const calls: Promise<number>[] = [];
    const t0 = sim.clock.now();
    for (let tick = 0; tick < 20; tick++) {
      for (let i = 0; i < 50; i++) flooder.send(bareFrame(FrameType.PING, { id: 1000 + tick * 50 + i }));
      calls.push(stub.add({ a: tick, b: 1 }));
      await sim.clock.runFor(100);
    }
    const elapsedS = (sim.clock.now() - t0) / 1000;
    const answered = flooder.received.length - pongsBefore;
    expect(answered).toBeGreaterThan(0);
    expect(answered).toBeLessThanOrEqual(20 + Math.ceil(100 * elapsedS));
    const later = await settleAll(sim.clock, calls);
    expect(later.map((r) => r.status === 'fulfilled' && r.value)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(sim.drops.filter((d) => peerKey(d.from) === peerKey(ep.address))).toEqual([]);
    expect(client.stats().retransmits).toBe(0);
  });

  it('refills at ratePerSecond up to rateBurst', async () => {
    const sim = await start({ server: { sources: { ratePerSecond: 10, rateBurst: 5 } } });
    const peer = await sim.raw('peer');
    const burst = async (n: number): Promise<number> => {
      const before = peer.received.length;
      for (let i = 0; i < n; i++) peer.send(bareFrame(FrameType.PING, { id: i }));
      await sim.clock.runFor(10);
      return peer.received.length - before;
    };
    expect(await burst(30)).toBe(5);
    await sim.clock.runFor(290); // 0.3 s: 3 tokens
    expect(await burst(30)).toBe(3);
    await sim.clock.runFor(10_000); // refilled, but never beyond the burst
    expect(await burst(30)).toBe(5);
    expect(sim.server.stats().drops['rate-limited']).toBe(90 - 13);
  });

  it('rate-limited datagrams earn no anti-amplification credit', async () => {
    // Coalescing off: its BATCH framing breaks the exact 3× (see anti-amplification.test.ts).
    const sim = await start({ server: { sources: { ratePerSecond: 1, rateBurst: 3 }, coalesce: false } });
    const victim = await sim.raw('victim');
    const request = requestFrame({ id: 1 }, 'big', { tag: 1, bytes: 20_000 });
    for (let attempt = 0; attempt < 100; attempt++) victim.send(requestFrame({ id: 1, attempt }, 'big', { tag: 1, bytes: 20_000 }));
    await sim.clock.runFor(100);
    expect(sim.server.stats().drops['rate-limited']).toBe(97);
    expect(victim.bytesReceived).toBeGreaterThan(0);
    expect(victim.bytesReceived).toBeLessThanOrEqual(3 * 3 * request.length);
  });
});

describe('source table', () => {
  it('stays bounded at maxSources under many distinct source addresses, and forgotten sources are still served', async () => {
    const sim = await start({ server: { sources: { maxSources: 16 } } });
    const { stub } = await sim.client();
    expect(await settleAll(sim.clock, [stub.add({ a: 1, b: 2 })])).toMatchObject([{ status: 'fulfilled', value: 3 }]);
    let peak = 0;
    let ponged = 0;
    for (let i = 0; i < 300; i++) {
      const peer = await sim.raw();
      peer.send(bareFrame(FrameType.PING, { id: i }));
      await sim.clock.runFor(3);
      peak = Math.max(peak, sim.server.stats().sources);
      ponged += peer.received.filter((f) => f.type === FrameType.PONG).length;
    }
    expect(peak).toBe(16);
    expect(sim.server.stats().sources).toBe(16);
    expect(ponged).toBe(300);
    // The client's entry was forgotten long ago; it simply starts over.
    expect(await settleAll(sim.clock, [stub.add({ a: 4, b: 5 })])).toMatchObject([{ status: 'fulfilled', value: 9 }]);
    expect(sim.server.stats().sources).toBeLessThanOrEqual(16);
  });
});
