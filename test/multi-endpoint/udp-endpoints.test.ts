// Multi-endpoint clients over real UDP on loopback: IPv4 and IPv6 endpoints
// in one client (one socket per family), and a host name whose A and AAAA
// records are all used.
import { afterEach, describe, expect, it } from 'vitest';
import { createClient, createServer, createUdpTransport, type Client, type Server } from 'udprpc';
import { svc } from './sim-cluster.js';

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((x) => x.close()));
});

async function ipv6Problem(): Promise<string | undefined> {
  const probe = createUdpTransport({ host: '::1' });
  try {
    await probe.listen(
      () => {},
      () => {},
    );
    return undefined;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  } finally {
    await probe.close();
  }
}
const noIpv6 = await ipv6Problem();

async function serve(host: string, port = 0): Promise<{ server: Server; port: number }> {
  const server = createServer({ host, port });
  const handle = ({ tag }: { tag: number }) => ({ tag, server: host });
  server.implement(svc, { get: handle, put: handle });
  const address = await server.listen();
  open.push(server);
  return { server, port: address.port };
}

function track(client: Client): Client {
  open.push(client);
  return client;
}

describe('multi-endpoint clients over UDP', () => {
  it('spreads calls over two IPv4 servers given as urls', async () => {
    const a = await serve('127.0.0.1');
    const b = await serve('127.0.0.1');
    const client = track(createClient({ urls: [`udp://127.0.0.1:${a.port}`, `udp://127.0.0.1:${b.port}`], balancer: 'round-robin' }));
    const stub = client.stub(svc);
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => stub.get({ tag: i, delayMs: 0 })));
    expect(results.map((r) => r.tag)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(client.endpoints().map((e) => e.peer.port)).toEqual([a.port, b.port]);
    expect(a.server.stats().requests + b.server.stats().requests).toBe(10);
    expect(a.server.stats().requests).toBeGreaterThan(0);
    expect(b.server.stats().requests).toBeGreaterThan(0);
  });

  it.skipIf(noIpv6 !== undefined)('mixes IPv4 and IPv6 endpoints: one socket per family, each call answered', async () => {
    const v4 = await serve('127.0.0.1');
    const v6 = await serve('::1');
    const client = track(createClient({ urls: [`udp://127.0.0.1:${v4.port}`, `udp://[::1]:${v6.port}`], balancer: 'round-robin' }));
    const stub = client.stub(svc);
    const servers = new Set<string>();
    for (let i = 0; i < 6; i++) servers.add((await stub.put({ tag: i, delayMs: 0 })).server);
    expect([...servers].sort()).toEqual(['127.0.0.1', '::1']);
  });

  it.skipIf(noIpv6 !== undefined)('a host name with an A and an AAAA record gives two endpoints', async () => {
    const v4 = await serve('127.0.0.1');
    const v6 = await serve('::1', v4.port); // same port number on the other family
    const lookup = async () => [
      { address: '127.0.0.1', family: 4 },
      { address: '::1', family: 6 },
    ];
    const client = track(createClient({ urls: [`udp://svc.test:${v4.port}`], lookup, balancer: 'round-robin' }));
    const stub = client.stub(svc);
    const servers = new Set<string>();
    for (let i = 0; i < 4; i++) servers.add((await stub.get({ tag: i, delayMs: 0 })).server);
    expect([...servers].sort()).toEqual(['127.0.0.1', '::1']);
    expect(client.endpoints().map((e) => e.peer.family)).toEqual(['IPv4', 'IPv6']);
    expect(v6.server.stats().requests).toBeGreaterThan(0);
  });

  it.skipIf(noIpv6 !== undefined)('opens the IPv6 socket when a re-resolution first brings an AAAA record', async () => {
    const v4 = await serve('127.0.0.1');
    const v6 = await serve('::1', v4.port);
    let records = [{ address: '127.0.0.1', family: 4 }];
    const client = track(createClient({ urls: [`udp://svc.test:${v4.port}`], lookup: async () => records, resolveIntervalMs: 20, balancer: 'round-robin' }));
    const stub = client.stub(svc);
    expect((await stub.get({ tag: 1, delayMs: 0 })).server).toBe('127.0.0.1');
    records = [...records, { address: '::1', family: 6 }];
    for (let i = 0; i < 200 && client.endpoints().length < 2; i++) await new Promise((r) => setTimeout(r, 10));
    expect(client.endpoints().map((e) => e.peer.address)).toEqual(['127.0.0.1', '::1']);
    const servers = new Set<string>();
    for (let i = 0; i < 4; i++) servers.add((await stub.get({ tag: i, delayMs: 0 })).server);
    expect([...servers].sort()).toEqual(['127.0.0.1', '::1']);
    expect(v6.server.stats().requests).toBeGreaterThan(0);
  });

  it('resolves localhost with the system resolver (dns.lookup, all records)', async () => {
    const a = await serve('127.0.0.1');
    const client = track(createClient({ urls: [`udp://localhost:${a.port}`], resolveIntervalMs: 0 }));
    // Depending on /etc/hosts, localhost may also resolve to ::1 where nobody listens: `get` is idempotent, so it fails over.
    const stub = client.stub(svc);
    const result = await stub.get({ tag: 1, delayMs: 0 }, { timeoutMs: 3000 });
    expect(result).toEqual({ tag: 1, server: '127.0.0.1' });
    expect(client.endpoints().some((e) => e.peer.address === '127.0.0.1')).toBe(true);
  });
});
