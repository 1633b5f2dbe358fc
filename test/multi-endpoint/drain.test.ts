// Graceful drain (protocol.md §5.9, docs/multi-endpoint.md "Draining") on a
// simulated network and a virtual clock, with exact oracles: the GOAWAYs
// sent, the calls refused, where each call went and how often each handler
// ran, counted after the network drained.
import { describe, expect, it } from 'vitest';
import { RpcError } from '@udprpc/core';
import { FrameType } from '@udprpc/core/wire';
import { createClient, type Client } from 'udprpc';
import { createRandom, settleAll, SimNetwork, VirtualClock } from '@udprpc/testkit';
import { Port, serveOn, type RunCounts } from './drain-harness.js';
import { ClientTap, svc } from './sim-cluster.js';

const LINK = { delayMs: 1 };

function setup(hosts: string[]) {
  const clock = new VirtualClock();
  const net = new SimNetwork({ clock, seed: 7, defaults: LINK });
  const ports = hosts.map((h) => new Port(net.endpoint(h)));
  const counts: RunCounts = { runs: new Map(), perServer: new Map() };
  return { clock, net, ports, counts };
}

async function closed(client: Client): Promise<void> {
  await client.close();
}

describe('graceful drain: one server, two clients', () => {
  it('sends one GOAWAY per known source, finishes the running handler and delivers its reply, refuses new calls as going away, then closes after the linger', async () => {
    const { clock, net, ports, counts } = setup(['s0']);
    const server = await serveOn(ports[0]!, clock, counts, true);
    let closedAt: number | undefined;
    server.once('close', () => (closedAt = clock.now()));
    const a = createClient({ transport: net.endpoint('a'), peer: ports[0]!.address, clock, random: createRandom(1) });
    const b = createClient({ transport: net.endpoint('b'), peer: ports[0]!.address, clock, random: createRandom(2) });
    const goaways: { peer: string; drainMs: number }[] = [];
    a.on('goaway', (info) => goaways.push({ peer: info.peer.address, drainMs: info.drainMs }));
    const sa = a.stub(svc);
    const sb = b.stub(svc);
    await settleAll(clock, [sa.get({ tag: 1, delayMs: 0 }), sb.get({ tag: 2, delayMs: 0 })]);

    const slowSentAt = clock.now();
    const slow = sa.put({ tag: 3, delayMs: 500 });
    await clock.runFor(10);
    const closing = server.close({ graceMs: 5000 });
    await clock.runFor(10);
    expect(ports[0]!.goAwaysTo.sort()).toEqual(['a:1', 'b:1']);
    expect(server.stats()).toMatchObject({ draining: true, goAways: 2 });
    expect(a.stats().goAways).toBe(1);
    expect(b.stats().goAways).toBe(1);
    expect(goaways).toEqual([{ peer: 's0', drainMs: 5000 }]);

    const [refused] = await settleAll(clock, [sb.put({ tag: 4, delayMs: 0 })]);
    expect(refused.status).toBe('rejected');
    const error = (refused as PromiseRejectedResult).reason as RpcError;
    expect(RpcError.is(error)).toBe(true);
    expect(error).toMatchObject({ code: 'UNAVAILABLE', remote: true, refused: true, mayHaveRun: false, message: 'the server is going away' });

    const [done] = await settleAll(clock, [slow]);
    expect(done).toEqual({ status: 'fulfilled', value: { tag: 3, server: 's0' } });
    await settleAll(clock, [closing]);
    // The handler started 1 ms after the call was sent and ran 500 ms; the server then lingered 1000 ms.
    expect(closedAt).toBe(slowSentAt + 1 + 500 + 1000);
    expect(server.stats()).toMatchObject({ goingAwayRefused: 1, goAways: 2 });
    await clock.runFor(10_000);
    expect([...counts.runs.entries()].sort((x, y) => x[0] - y[0])).toEqual([
      [1, 1],
      [2, 1],
      [3, 1],
    ]);
    expect(ports[0]!.sent.get(FrameType.GOAWAY)).toBe(2);
    await closed(a);
    await closed(b);
  });

  it('answers a retransmission from the reply cache while draining: the reply lost once still arrives, and the handler ran once', async () => {
    const { clock, net, ports, counts } = setup(['s0']);
    const server = await serveOn(ports[0]!, clock, counts, true);
    const a = createClient({ transport: net.endpoint('a'), peer: ports[0]!.address, clock, random: createRandom(3) });
    const sa = a.stub(svc);
    await settleAll(clock, [sa.get({ tag: 1, delayMs: 0 })]);
    const slow = sa.put({ tag: 2, delayMs: 300 });
    await clock.runFor(10);
    const closing = server.close({ graceMs: 5000 });
    // Everything s0 sends is lost until just after the handler's reply left.
    net.setLink('s0', 'a', { loss: 1 });
    await clock.runFor(292);
    net.clearLink('s0', 'a');
    const [done] = await settleAll(clock, [slow]);
    expect(done).toEqual({ status: 'fulfilled', value: { tag: 2, server: 's0' } });
    expect(server.stats()).toMatchObject({ duplicatesReplayed: 1, responses: 2 });
    await settleAll(clock, [closing]);
    await clock.runFor(10_000);
    expect(counts.runs.get(2)).toBe(1);
    await a.close();
  });

  it('with graceMs, a handler still running at the end of the grace period is aborted and the server closes then', async () => {
    const { clock, net, ports, counts } = setup(['s0']);
    const server = await serveOn(ports[0]!, clock, counts, true);
    let closedAt: number | undefined;
    server.once('close', () => (closedAt = clock.now()));
    const a = createClient({ transport: net.endpoint('a'), peer: ports[0]!.address, clock, random: createRandom(4) });
    const long = a.stub(svc).put({ tag: 1, delayMs: 10_000 }, { timeoutMs: 20_000 });
    await clock.runFor(10);
    const start = clock.now();
    const closing = server.close({ graceMs: 2000 });
    await settleAll(clock, [closing]);
    expect(closedAt).toBe(start + 2000);
    const [outcome] = await settleAll(clock, [long]);
    expect(outcome.status).toBe('rejected');
    expect(counts.runs.get(1)).toBe(1);
    await a.close();
  });
});

describe('graceful drain: cut short', () => {
  it('a plain close() during a drain closes at once, and the drain\'s promise settles with it', async () => {
    const { clock, net, ports, counts } = setup(['s0']);
    const server = await serveOn(ports[0]!, clock, counts, true);
    let closes = 0;
    server.on('close', () => closes++);
    const a = createClient({ transport: net.endpoint('a'), peer: ports[0]!.address, clock, random: createRandom(5) });
    const long = a.stub(svc).put({ tag: 1, delayMs: 10_000 }, { timeoutMs: 20_000 });
    await clock.runFor(10);
    const start = clock.now();
    const draining = server.close({ graceMs: 5000 });
    await clock.runFor(100);
    const closing = server.close();
    const [d, c] = await settleAll(clock, [draining, closing], { maxTimeMs: 1000 });
    expect([d.status, c.status]).toEqual(['fulfilled', 'fulfilled']);
    expect(clock.now()).toBe(start + 100);
    expect(closes).toBe(1);
    await settleAll(clock, [long]);
    await a.close();
  });
});

describe('graceful drain: a multi-endpoint client', () => {
  async function cluster(seed: number) {
    const { clock, net, ports, counts } = setup(['s0', 's1', 's2']);
    const servers = await Promise.all(ports.map((p) => serveOn(p, clock, counts, true)));
    const tap = new ClientTap(net.endpoint('client'));
    const client = createClient({
      transport: tap,
      peers: ports.map((p) => p.address),
      clock,
      random: createRandom(seed),
      balancer: 'round-robin',
    });
    // Each server learns the client's address and session.
    for (const p of ports) await settleAll(clock, [client.health({ peer: p.address })]);
    return { clock, net, ports, counts, servers, tap, client, stub: client.stub(svc) };
  }

  it('on GOAWAY sends no new call to the draining endpoint, while its call in flight finishes there', async () => {
    const { clock, counts, servers, tap, client, stub } = await cluster(11);
    // Round robin: tags 1, 2, 3 go to s0, s1, s2.
    const first = [1, 2, 3].map((tag) => stub.get({ tag, delayMs: 300 }));
    await clock.runFor(10);
    const closing = servers[0]!.close({ graceMs: 5000 });
    await clock.runFor(10);
    expect(client.stats().routing.goAways).toBe(1);
    expect(client.endpoints().map((e) => e.state)).toEqual(['draining', 'healthy', 'healthy']);
    const later = [4, 5, 6, 7, 8, 9].map((tag) => stub.put({ tag, delayMs: 0 }));
    const results = await settleAll(clock, [...first, ...later, closing]);
    expect(results.slice(0, 3).map((r) => (r as PromiseFulfilledResult<{ server: string }>).value.server)).toEqual(['s0', 's1', 's2']);
    for (const tag of [4, 5, 6, 7, 8, 9]) {
      expect(results[tag - 1]!.status).toBe('fulfilled');
      expect([...tap.destinations(tag)]).toHaveLength(1);
      expect(tap.destinations(tag).has('s0')).toBe(false);
    }
    expect(servers[0]!.stats().goingAwayRefused).toBe(0);
    await clock.runFor(10_000);
    for (let tag = 1; tag <= 9; tag++) expect(counts.runs.get(tag), `runs of ${tag}`).toBe(1);
    expect(counts.perServer.get('s0')).toBe(1);
    await client.close();
  });

  it('with the GOAWAY lost, a new non-idempotent call refused as going away moves to another endpoint and runs once', async () => {
    const { clock, net, counts, servers, tap, client, stub } = await cluster(12);
    const first = [1, 2, 3].map((tag) => stub.get({ tag, delayMs: 300 }));
    await clock.runFor(10);
    net.setLink('s0', 'client', { loss: 1 });
    const closing = servers[0]!.close({ graceMs: 5000 });
    await clock.runFor(10);
    net.clearLink('s0', 'client');
    expect(client.stats().goAways).toBe(0);
    // Round robin comes back to s0 first.
    const [moved] = await settleAll(clock, [stub.put({ tag: 4, delayMs: 0 })]);
    expect(moved.status).toBe('fulfilled');
    expect((moved as PromiseFulfilledResult<{ server: string }>).value.server).not.toBe('s0');
    expect([...tap.destinations(4)].sort()).toEqual(['s0', (moved as PromiseFulfilledResult<{ server: string }>).value.server]);
    expect(client.stats().routing).toMatchObject({ drainReroutes: 1, goAways: 0 });
    expect(servers[0]!.stats().goingAwayRefused).toBe(1);
    // Draining is not failing: no mark against the endpoint's health.
    expect(client.endpoints()[0]).toMatchObject({ state: 'draining', consecutiveFailures: 0, ejections: 0 });
    await settleAll(clock, [...first, closing]);
    await clock.runFor(10_000);
    for (let tag = 1; tag <= 4; tag++) expect(counts.runs.get(tag), `runs of ${tag}`).toBe(1);
    await client.close();
  });
});
