// Discovery through DNS SRV against a real DNS server (test/helpers/dns-server.ts)
// on 127.0.0.1, with udprpc servers on loopback; the records change during
// the tests. TTLs are 1 s; every wait is bounded in count and time.
import { afterEach, describe, expect, it } from 'vitest';
import { createClient, createServer, RpcError, srvDiscoveryStats, type Client, type Server } from 'udprpc';
import { startDnsServer, type TestDnsServer } from '../helpers/dns-server.js';
import { waitFor, withGuard } from '../helpers/wait.js';
import { svc } from './sim-cluster.js';

const NAME = '_calc._udp.example.internal';
const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((x) => x.close()));
});

interface Backend {
  readonly port: number;
  /**
   * Distinct calls served (by tag: every call of a test has its own). An idempotent call may run
   * again when a retransmission crosses its reply (no reply cache for idempotent methods).
   */
  readonly calls: number;
  /** When true, every call fails with a remote UNAVAILABLE (the server says it cannot serve). */
  down: boolean;
  /** When the first call arrived (performance.now()). */
  readonly firstCallAt: number | undefined;
}

async function backend(): Promise<Backend> {
  const server: Server = createServer({ host: '127.0.0.1' });
  const tags = new Set<number>();
  const state = {
    port: 0,
    down: false,
    firstCallAt: undefined as number | undefined,
    get calls() {
      return tags.size;
    },
  };
  const handle = async ({ tag, delayMs }: { tag: number; delayMs: number }) => {
    tags.add(tag);
    state.firstCallAt ??= performance.now();
    if (state.down) throw new RpcError('UNAVAILABLE', 'down');
    if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
    return { tag, server: String(state.port) };
  };
  server.implement(svc, { get: handle, put: handle });
  state.port = (await server.listen()).port;
  open.push(server);
  return state;
}

async function dnsServer(): Promise<TestDnsServer> {
  const dns = await startDnsServer();
  open.push(dns);
  return dns;
}

/** Publishes `backends` under NAME as targets sN.example.internal → 127.0.0.1. */
function publish(dns: TestDnsServer, entries: { b: Backend; priority?: number; weight?: number }[]): void {
  dns.srv.set(
    NAME,
    entries.map(({ b, priority = 10, weight = 1 }) => {
      const target = `s${b.port}.example.internal`;
      dns.a.set(target, ['127.0.0.1']);
      return { priority, weight, port: b.port, target };
    }),
  );
}

function client(dns: TestDnsServer, extra: Parameters<typeof createClient>[0] = {}): Client {
  const c = createClient({ url: `udp+srv://${NAME}`, dns: { servers: [dns.address], timeoutMs: 200, attempts: 2 }, ...extra });
  open.push(c);
  return c;
}

const counts = (bs: Backend[]): number[] => bs.map((b) => b.calls);
let lastTag = 0;
/** A tag no other call has. */
const t = (): number => ++lastTag;

describe('udp+srv:// discovery against a real DNS server', () => {
  it('resolves SRV and A records and honours weights exactly (smooth weighted round robin)', async () => {
    const dns = await dnsServer();
    const bs = [await backend(), await backend(), await backend()];
    publish(dns, [
      { b: bs[0]!, weight: 3 },
      { b: bs[1]!, weight: 2 },
      { b: bs[2]!, weight: 1 },
    ]);
    const c = client(dns);
    const stub = c.stub(svc);
    // Sequential calls: each pick sees the same three endpoints, so every 6 calls give exactly 3, 2, 1.
    for (let i = 0; i < 60; i++) await withGuard(stub.get({ tag: t(), delayMs: 0 }), `call ${i}`);
    expect(counts(bs)).toEqual([30, 20, 10]);
    expect(c.endpoints().map((e) => [e.peer.port, e.priority, e.weight])).toEqual(
      bs.map((b, i) => [b.port, 10, [3, 2, 1][i]]).sort((x, y) => String(`s${x[0]}`).localeCompare(`s${y[0]}`)),
    );
    // One SRV query, then one A query per target (no additional section here).
    expect(dns.queries.slice(0, 4).sort()).toEqual([`SRV ${NAME}`, ...bs.map((b) => `A s${b.port}.example.internal`)].sort());
  });

  it('uses the A records of the additional section without further queries', async () => {
    const dns = await dnsServer();
    dns.additional = true;
    dns.ttl = 60;
    const bs = [await backend(), await backend()];
    publish(dns, [{ b: bs[0]! }, { b: bs[1]! }]);
    const stub = client(dns).stub(svc);
    for (let i = 0; i < 4; i++) await withGuard(stub.get({ tag: t(), delayMs: 0 }), `call ${i}`);
    expect(counts(bs)).toEqual([2, 2]);
    expect(dns.queries).toEqual([`SRV ${NAME}`]);
  });

  it('follows record changes within one TTL; calls in flight finish where they started', async () => {
    const dns = await dnsServer();
    const [a, b, c] = [await backend(), await backend(), await backend()];
    publish(dns, [{ b: a }, { b }]);
    const cl = client(dns);
    const stub = cl.stub(svc);
    for (let i = 0; i < 4; i++) await withGuard(stub.get({ tag: t(), delayMs: 0 }), `call ${i}`);
    expect(counts([a, b, c])).toEqual([2, 2, 0]);
    // A slow call is running when the records change, on the first endpoint of the list (the next in the
    // rotation after 2 + 2 calls; the list is sorted by target name, so it is a or b).
    const first = [a, b].find((x) => x.port === cl.endpoints()[0]!.peer.port)!;
    const slowTag = t();
    const slow = stub.get({ tag: slowTag, delayMs: 1500 });
    await waitFor(() => first.calls === 3, 'the slow call to reach the first endpoint');
    publish(dns, [{ b: c }]);
    const changedAt = performance.now();
    let followedAfterMs: number | undefined;
    for (let i = 0; i < 200 && followedAfterMs === undefined && performance.now() - changedAt < 5000; i++) {
      await withGuard(stub.get({ tag: t(), delayMs: 0 }), `call ${i}`);
      if (c.calls > 0) followedAfterMs = performance.now() - changedAt;
      else await new Promise((resolve) => setTimeout(resolve, 20));
    }
    // The client asks again when the 1 s TTL of its last answer runs out: not sooner (Node arms timers from
    // the event loop's cached time, so allow it 50 ms early), and the calls moved only after that query. How much later it asked is
    // bounded loosely (timers fire late on a loaded machine): docs/multi-endpoint.md gives measured figures.
    const srvTimes = dns.queryTimes.filter((_, i) => dns.queries[i] === `SRV ${NAME}`);
    for (let i = 1; i < srvTimes.length; i++) expect(srvTimes[i]! - srvTimes[i - 1]!).toBeGreaterThanOrEqual(950);
    const firstQueryAfter = srvTimes.find((at) => at >= changedAt);
    expect(firstQueryAfter).toBeDefined();
    expect(c.firstCallAt!).toBeGreaterThan(firstQueryAfter!);
    expect(firstQueryAfter! - changedAt).toBeLessThan(1000 + 1000);
    expect(followedAfterMs).toBeDefined();
    const before = counts([a, b, c]);
    for (let i = 0; i < 10; i++) await withGuard(stub.get({ tag: t(), delayMs: 0 }), `call ${i}`);
    expect(counts([a, b, c])).toEqual([before[0], before[1], before[2]! + 10]);
    // The slow call, started before the change, was answered where it started.
    expect(await withGuard(slow, 'the slow call')).toEqual({ tag: slowTag, server: String(first.port) });
    expect(cl.endpoints().map((e) => [e.peer.port, e.state])).toEqual([[c.port, 'healthy']]);
  });

  it('sends calls to the best priority and falls to the next when none of it is healthy', async () => {
    const dns = await dnsServer();
    dns.ttl = 60;
    const [a, b, c] = [await backend(), await backend(), await backend()];
    publish(dns, [
      { b: a, priority: 10, weight: 1 },
      { b, priority: 10, weight: 1 },
      { b: c, priority: 20, weight: 5 },
    ]);
    // A long ejection, so that no trial call reaches a or b during the test.
    const stub = client(dns, { health: { ejectionMs: 60_000, maxEjectionMs: 60_000 } }).stub(svc);
    for (let i = 0; i < 10; i++) await withGuard(stub.get({ tag: t(), delayMs: 0 }), `call ${i}`);
    expect(counts([a, b, c])).toEqual([5, 5, 0]);
    a.down = true;
    b.down = true;
    // Idempotent calls fail over (a → b → c, all in priority order) until a and b are ejected after 5 failures each.
    for (let i = 0; i < 10; i++) {
      const tag = t();
      expect(await withGuard(stub.get({ tag, delayMs: 0 }), `call ${i}`)).toEqual({ tag, server: String(c.port) });
    }
    const before = counts([a, b, c]);
    for (let i = 0; i < 10; i++) await withGuard(stub.get({ tag: t(), delayMs: 0 }), `call ${i}`);
    expect(counts([a, b, c])).toEqual([before[0], before[1], before[2]! + 10]);
  });

  it('keeps the last good set when the resolver times out, fails, says NXDOMAIN, truncates or has no records, with typed errors', async () => {
    const dns = await dnsServer();
    const [a, b] = [await backend(), await backend()];
    publish(dns, [{ b: a }, { b }]);
    const good = new Map(dns.srv);
    const cl = client(dns, { dns: { servers: [dns.address], timeoutMs: 100, attempts: 1, maxBackoffMs: 1000 } });
    const errors: RpcError[] = [];
    cl.on('error', (e) => errors.push(e as RpcError));
    const stub = cl.stub(svc);
    await withGuard(stub.get({ tag: t(), delayMs: 0 }), 'first call');
    const ports = cl.endpoints().map((e) => e.peer.port);
    expect(ports.sort()).toEqual([a.port, b.port].sort());
    const cases: [string, () => void][] = [
      ['timeout', () => (dns.mode = 'silent')],
      ['servfail', () => (dns.mode = 'servfail')],
      ['nxdomain', () => (dns.mode = 'nxdomain')],
      ['truncated', () => (dns.mode = 'truncated')],
      ['no-records', () => ((dns.mode = 'normal'), dns.srv.set(NAME, []))],
      ['no-addresses', () => dns.srv.set(NAME, [{ priority: 1, weight: 1, port: a.port, target: 'gone.example.internal' }])],
    ];
    for (const [reason, misbehave] of cases) {
      misbehave();
      const seen = errors.length;
      // A round started before the switch may still end with the previous reason: wait for this one.
      await waitFor(() => errors.slice(seen).some((e) => (e.details as { dns?: string }).dns === reason), `a ${reason} error`, 5000);
      expect(cl.endpoints().map((e) => e.peer.port)).toEqual(ports);
      const before = a.calls + b.calls;
      for (let i = 0; i < 4; i++) await withGuard(stub.get({ tag: t(), delayMs: 0 }), `call ${i} (${reason})`);
      expect(a.calls + b.calls).toBe(before + 4);
    }
    expect(errors.every((e) => e.code === 'UNAVAILABLE' && cases.some(([r]) => r === (e.details as { dns?: string }).dns))).toBe(true);
    expect(srvDiscoveryStats(cl)!.failures).toBeGreaterThanOrEqual(cases.length);
    // The resolver recovers: the set follows DNS again.
    dns.srv.clear();
    for (const [k, v] of good) dns.srv.set(k, v);
    publish(dns, [{ b: a }]);
    await waitFor(() => cl.endpoints().filter((e) => e.state !== 'removed').length === 1, 'the set to follow DNS again', 5000);
    expect(cl.endpoints()[0]!.peer.port).toBe(a.port);
  });

  it('counts junk datagrams as drops and still uses the real answer', async () => {
    const dns = await dnsServer();
    dns.ttl = 60;
    dns.additional = true;
    dns.mode = 'junk-first';
    const a = await backend();
    publish(dns, [{ b: a }]);
    const cl = client(dns);
    await withGuard(cl.stub(svc).get({ tag: t(), delayMs: 0 }), 'the call');
    // One query (the A record came in the additional section), and before its answer: one undecodable
    // datagram, one with the wrong ID, one larger than the 4096 bytes advertised.
    await waitFor(() => srvDiscoveryStats(cl)!.drops.oversized === 1, 'the oversized datagram to be counted', 2000);
    expect(srvDiscoveryStats(cl)).toEqual({ queries: 1, timeouts: 0, drops: { oversized: 1, malformed: 1, mismatched: 1 }, resolutions: 1, failures: 0 });
  });

  it('fails the first call with a typed error when the resolver only sends garbage, and counts every datagram', async () => {
    const dns = await dnsServer();
    dns.mode = 'garbage';
    const a = await backend();
    publish(dns, [{ b: a }]);
    const cl = client(dns);
    const error = await withGuard(
      cl.stub(svc).get({ tag: t(), delayMs: 0 }).then(
        () => undefined,
        (e: unknown) => e as RpcError,
      ),
      'the call',
    );
    expect(error).toMatchObject({ code: 'UNAVAILABLE', details: { dns: 'timeout' } });
    // 2 attempts of 200 ms, each answered by one undecodable datagram.
    expect(srvDiscoveryStats(cl)).toEqual({ queries: 2, timeouts: 2, drops: { oversized: 0, malformed: 2, mismatched: 0 }, resolutions: 0, failures: 1 });
    expect(a.calls).toBe(0);
    // The resolver recovers: the next call resolves again and succeeds.
    dns.mode = 'normal';
    const tag = t();
    expect(await withGuard(cl.stub(svc).get({ tag, delayMs: 0 }), 'the next call')).toEqual({ tag, server: String(a.port) });
  });
});
