// `urls` with host names: every A/AAAA record becomes an endpoint, and the
// name is resolved again every resolveIntervalMs, so a DNS-based registry
// (a Kubernetes headless service) works. Run on a simulated network, with an
// injected lookup standing in for DNS.
import { describe, expect, it } from 'vitest';
import { createClient, createServer, type LookupAddress, type Server } from 'udprpc';
import { SimNetwork, VirtualClock, createRandom, settleAll, sleep } from '@udprpc/testkit';
import { svc } from './sim-cluster.js';

async function registry(hosts: number) {
  const clock = new VirtualClock();
  const net = new SimNetwork({ clock, seed: 5 });
  const runs = new Map<string, number>();
  const servers: Server[] = [];
  for (let i = 0; i < hosts; i++) {
    const host = `10.0.0.${i + 1}`;
    const server = createServer({ transport: net.endpoint(host), clock });
    const handle = async ({ tag, delayMs }: { tag: number; delayMs: number }) => {
      runs.set(host, (runs.get(host) ?? 0) + 1);
      if (delayMs > 0) await sleep(clock, delayMs);
      return { tag, server: host };
    };
    server.implement(svc, { get: handle, put: handle });
    await server.listen();
    servers.push(server);
  }
  // The simulated network routes by host name and port (every endpoint is port 1 on its host).
  let answer: LookupAddress[] = [];
  const lookups: string[] = [];
  const lookup = async (name: string): Promise<LookupAddress[]> => {
    lookups.push(name);
    return answer;
  };
  return {
    clock,
    net,
    runs,
    lookups,
    lookup,
    setAnswer: (...hosts: string[]) => (answer = hosts.map((address) => ({ address, family: 4 }))),
    close: () => Promise.all(servers.map((s) => s.close())),
  };
}

describe('urls with host names (DNS-based discovery)', () => {
  it('resolves a name to all its records, follows changes every resolveIntervalMs, and drains endpoints that disappear', async () => {
    const reg = await registry(3);
    reg.setAnswer('10.0.0.1', '10.0.0.2');
    const client = createClient({
      transport: reg.net.endpoint('client'),
      urls: ['udp://svc.default.svc.cluster.local:1'],
      lookup: reg.lookup,
      resolveIntervalMs: 10_000,
      clock: reg.clock,
      random: createRandom(1),
    });
    const stub = client.stub(svc);
    const first = await settleAll(reg.clock, Array.from({ length: 10 }, (_, i) => stub.get({ tag: i, delayMs: 10 })));
    expect(first.every((r) => r.status === 'fulfilled')).toBe(true);
    expect(client.endpoints().map((e) => e.peer.address)).toEqual(['10.0.0.1', '10.0.0.2']);
    expect([...reg.runs.keys()].sort()).toEqual(['10.0.0.1', '10.0.0.2']);

    // A slow call is in flight on 10.0.0.1 when the registry drops it.
    const slow = client.stub(svc).put({ tag: 100, delayMs: 15_000 }, { timeoutMs: 20_000 });
    await reg.clock.runFor(1);
    const slowHost = client.endpoints().find((e) => e.outstanding === 1)!.peer.address;
    reg.setAnswer(...['10.0.0.1', '10.0.0.2', '10.0.0.3'].filter((h) => h !== slowHost));
    await reg.clock.runFor(10_000);
    expect(reg.lookups).toHaveLength(2);
    const snapshot = client.endpoints();
    expect(snapshot.filter((e) => e.state !== 'removed').map((e) => e.peer.address)).not.toContain(slowHost);
    expect(snapshot.find((e) => e.peer.address === slowHost)).toMatchObject({ state: 'removed', outstanding: 1 });

    const before = reg.runs.get(slowHost) ?? 0;
    const later = await settleAll(reg.clock, Array.from({ length: 10 }, (_, i) => stub.get({ tag: 200 + i, delayMs: 0 })));
    expect(later.every((r) => r.status === 'fulfilled' && r.value.server !== slowHost)).toBe(true);
    expect(reg.runs.get(slowHost) ?? 0).toBe(before);
    expect(reg.runs.get('10.0.0.3') ?? 0).toBeGreaterThan(0);

    // The call in flight on the removed endpoint still finishes, then the endpoint is forgotten.
    const [done] = await settleAll(reg.clock, [slow], { maxTimeMs: 60_000 });
    expect(done).toMatchObject({ status: 'fulfilled', value: { server: slowHost } });
    expect(client.endpoints().map((e) => e.peer.address)).not.toContain(slowHost);

    // Closing stops re-resolution: no timer of the resolver is left.
    await client.close();
    const lookupsAtClose = reg.lookups.length;
    await reg.clock.runFor(60_000);
    expect(reg.lookups.length).toBe(lookupsAtClose);
    await reg.close();
  });

  it('a failed or empty lookup keeps the last known endpoints', async () => {
    const reg = await registry(2);
    reg.setAnswer('10.0.0.1', '10.0.0.2');
    let fail = false;
    const client = createClient({
      transport: reg.net.endpoint('client'),
      urls: ['udp://svc:1'],
      lookup: async (name) => {
        if (fail) throw new Error('SERVFAIL');
        return reg.lookup(name);
      },
      resolveIntervalMs: 1000,
      clock: reg.clock,
      random: createRandom(2),
    });
    const errors: string[] = [];
    client.on('error', (e) => errors.push(e.message));
    await client.connect();
    fail = true;
    await reg.clock.runFor(1000);
    fail = false;
    reg.setAnswer();
    await reg.clock.runFor(1000);
    expect(client.endpoints().map((e) => e.peer.address)).toEqual(['10.0.0.1', '10.0.0.2']);
    expect(errors).toEqual(['could not resolve svc', 'could not resolve svc']);
    await client.close();
    await reg.close();
  });

  it('a first lookup that fails is tried again by the next call', async () => {
    const reg = await registry(1);
    const client = createClient({ transport: reg.net.endpoint('client'), urls: ['udp://svc:1'], lookup: reg.lookup, clock: reg.clock, random: createRandom(3) });
    const stub = client.stub(svc);
    const [first] = await settleAll(reg.clock, [stub.get({ tag: 1, delayMs: 0 })]);
    expect(first).toMatchObject({ status: 'rejected', reason: { code: 'UNAVAILABLE' } });
    reg.setAnswer('10.0.0.1');
    const [second] = await settleAll(reg.clock, [stub.get({ tag: 2, delayMs: 0 })]);
    expect(second).toMatchObject({ status: 'fulfilled', value: { server: '10.0.0.1' } });
    await client.close();
    await reg.close();
  });

  it('rejects conflicting or empty endpoint options', () => {
    expect(() => createClient({ url: 'udp://a:1', urls: ['udp://b:1'] })).toThrow(/only one of/);
    expect(() => createClient({ urls: [] })).toThrow(/empty/);
    expect(() => createClient({ urls: ['http://a:1'] })).toThrow(/unsupported scheme/);
    expect(() => createClient({ urls: ['udp://a:1'], resolveIntervalMs: -1 })).toThrow(/resolveIntervalMs/);
  });
});
