// The built-in `udprpc.health` (protocol.md §5.7.4) and `client.health()`,
// on a simulated network and a virtual clock.
import { describe, expect, it } from 'vitest';
import { RpcError } from '@udprpc/core';
import { FrameType } from '@udprpc/core/wire';
import { createClient } from 'udprpc';
import { createRandom, settleAll, SimNetwork, VirtualClock } from '@udprpc/testkit';
import { Port, serveOn, type RunCounts } from './drain-harness.js';
import { ClientTap, svc } from './sim-cluster.js';

async function setup(hosts: string[]) {
  const clock = new VirtualClock();
  const net = new SimNetwork({ clock, seed: 5, defaults: { delayMs: 1 } });
  const ports = hosts.map((h) => new Port(net.endpoint(h)));
  const counts: RunCounts = { runs: new Map(), perServer: new Map() };
  const servers = await Promise.all(ports.map((p) => serveOn(p, clock, counts, true)));
  return { clock, net, ports, servers, counts };
}

describe('udprpc.health', () => {
  it('answers SERVING, NOT_SERVING and SERVICE_UNKNOWN per service and for the whole server', async () => {
    const { clock, net, ports, servers } = await setup(['s0']);
    const client = createClient({ transport: net.endpoint('c'), peer: ports[0]!.address, clock, random: createRandom(1) });
    const ask = async (service?: string) => (await settleAll(clock, [client.health(service === undefined ? {} : { service })]))[0];
    expect(await ask()).toEqual({ status: 'fulfilled', value: 'SERVING' });
    expect(await ask('')).toEqual({ status: 'fulfilled', value: 'SERVING' });
    expect(await ask('svc')).toEqual({ status: 'fulfilled', value: 'SERVING' });
    expect(await ask('nope')).toEqual({ status: 'fulfilled', value: 'SERVICE_UNKNOWN' });
    servers[0]!.setServing('svc', false);
    servers[0]!.setServing('extra', true);
    expect(await ask('svc')).toEqual({ status: 'fulfilled', value: 'NOT_SERVING' });
    expect(await ask('extra')).toEqual({ status: 'fulfilled', value: 'SERVING' });
    expect(await ask()).toEqual({ status: 'fulfilled', value: 'SERVING' });
    servers[0]!.setServing('', false);
    expect(await ask()).toEqual({ status: 'fulfilled', value: 'NOT_SERVING' });
    expect(() => servers[0]!.setServing('svc', 'yes' as unknown as boolean)).toThrow(TypeError);
    await client.close();
  });

  it('refuses an argument that is not { service?: string } with INVALID_ARGUMENT', async () => {
    const { clock, net, ports } = await setup(['s0']);
    const client = createClient({ transport: net.endpoint('c'), peer: ports[0]!.address, clock, random: createRandom(2) });
    const [bad, list] = await settleAll(clock, [
      client.call('udprpc', 'health', { service: 7 }, { idempotent: true }),
      client.call('udprpc', 'health', [1], { idempotent: true }),
    ]);
    for (const r of [bad, list]) {
      expect(r.status).toBe('rejected');
      expect(RpcError.is((r as PromiseRejectedResult).reason) && (r as PromiseRejectedResult).reason.code).toBe('INVALID_ARGUMENT');
    }
    await client.close();
  });

  it('answers NOT_SERVING for everything while the server drains, though it refuses other new calls', async () => {
    const { clock, net, ports, servers, counts } = await setup(['s0']);
    const client = createClient({ transport: net.endpoint('c'), peer: ports[0]!.address, clock, random: createRandom(3) });
    const stub = client.stub(svc);
    const running = stub.get({ tag: 1, delayMs: 500 });
    await clock.runFor(10);
    const closing = servers[0]!.close({ graceMs: 3000 });
    const [whole, service, refused] = await settleAll(clock, [client.health(), client.health({ service: 'svc' }), stub.get({ tag: 2, delayMs: 0 })]);
    expect(whole).toEqual({ status: 'fulfilled', value: 'NOT_SERVING' });
    expect(service).toEqual({ status: 'fulfilled', value: 'NOT_SERVING' });
    expect((refused as PromiseRejectedResult).reason).toMatchObject({ code: 'UNAVAILABLE', refused: true });
    await settleAll(clock, [running, closing]);
    expect(counts.runs.get(1)).toBe(1);
    expect(counts.runs.has(2)).toBe(false);
    await client.close();
  });

  it('client.health({ peer }) on a multi-endpoint client asks exactly that endpoint, past the balancer', async () => {
    const { clock, net, ports } = await setup(['s0', 's1', 's2']);
    const tap = new ClientTap(net.endpoint('c'));
    const client = createClient({ transport: tap, peers: ports.map((p) => p.address), clock, random: createRandom(4) });
    for (let round = 0; round < 3; round++) {
      const [r] = await settleAll(clock, [client.health({ peer: ports[2]!.address })]);
      expect(r).toEqual({ status: 'fulfilled', value: 'SERVING' });
    }
    expect(tap.count(FrameType.REQUEST, 's2')).toBe(3);
    expect(tap.count(FrameType.REQUEST)).toBe(3);
    await client.close();
  });
});
