// DNS SRV discovery, piece by piece, with exact oracles: the weighted
// balancer and the priority filter, the SRV record selection, the
// re-resolution schedule (virtual clock), the DNS querier's matching and
// retries (a scripted transport on a virtual clock), and URL parsing.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encode, type DecodedPacket, decode } from 'dns-packet';
import { bestPriority, createBalancer, checkWeighting, SmoothWeightedBalancer, type BalancerCandidate, type WeightedPeer } from '@udprpc/client';
import { RpcError, type DatagramHandler, type PeerAddress, type Transport } from '@udprpc/core';
import { VirtualClock } from '@udprpc/testkit';
import { parseDnsServer, parseSrvUrl } from 'udprpc';
import { DnsQuerier, zeroDnsStats, type DnsRecord, type DnsResponse, type DnsStats } from '../../packages/udprpc/src/dns-query.js';
import { srvPeers, srvRecordsOf, smallestTtl, type SrvRecord, type TargetAddress } from '../../packages/udprpc/src/srv-records.js';
import { SrvWatcher } from '../../packages/udprpc/src/srv-watcher.js';
import type { SrvResolution } from '../../packages/udprpc/src/srv-lookup.js';

const cand = (name: string, weight?: number, priority?: number): BalancerCandidate & { name: string } => ({
  name,
  seq: name.charCodeAt(0),
  outstanding: 0,
  srttMs: undefined,
  ...(weight === undefined ? {} : { weight }),
  ...(priority === undefined ? {} : { priority }),
});

describe('SmoothWeightedBalancer', () => {
  it('gives weights 5, 1, 1 the sequence a a b a c a a, every 7 picks', () => {
    const b = new SmoothWeightedBalancer();
    const cs = [cand('a', 5), cand('b', 1), cand('c', 1)];
    const picks = Array.from({ length: 21 }, () => b.pick(cs)!.name).join('');
    expect(picks).toBe('aabacaa'.repeat(3));
  });

  it('gives each candidate exactly its weight over Σweight picks', () => {
    const b = new SmoothWeightedBalancer();
    const cs = [cand('a', 3), cand('b', 2), cand('c', 1), cand('d', 7)];
    const counts = new Map<string, number>();
    for (let i = 0; i < 13 * 50; i++) {
      const n = b.pick(cs)!.name;
      counts.set(n, (counts.get(n) ?? 0) + 1);
    }
    expect(Object.fromEntries(counts)).toEqual({ a: 150, b: 100, c: 50, d: 350 });
  });

  it('reads weight 0 as a backup: never chosen while a positive weight is available; all-zero share equally', () => {
    const b = new SmoothWeightedBalancer();
    const [z, p, q] = [cand('z', 0), cand('p', 2), cand('q', 1)];
    expect(Array.from({ length: 6 }, () => b.pick([z, p, q])!.name).join('')).toBe('pqp'.repeat(2));
    expect(b.pick([z])!.name).toBe('z');
    const z2 = cand('y', 0);
    expect(Array.from({ length: 4 }, () => b.pick([z, z2])!.name).join('')).toBe('zyzy');
  });

  it('leaves a candidate missing from a pick with its score, and an empty list gives undefined', () => {
    const b = new SmoothWeightedBalancer();
    const [x, y] = [cand('x', 1), cand('y', 1)];
    expect(b.pick([x, y])!.name).toBe('x'); // a tie: the first in list order
    expect(b.pick([x])!.name).toBe('x'); // y left out: its score (1) stays
    expect(b.pick([x, y])!.name).toBe('y');
    expect(b.pick([])).toBeUndefined();
  });
});

describe('priorities', () => {
  it('bestPriority keeps only the lowest priority, and returns the same array when all share one', () => {
    const same = [cand('a'), cand('b')];
    expect(bestPriority(same)).toBe(same);
    expect(bestPriority([cand('a', 1, 20), cand('b', 1, 10), cand('c', 1, 10)]).map((c) => c.name)).toEqual(['b', 'c']);
  });

  it('every balancer kind sees only the best priority among the candidates it is given', () => {
    for (const kind of ['p2c', 'round-robin', 'weighted'] as const) {
      const balancer = createBalancer(kind, () => 0.99);
      const cs = [cand('a', 100, 20), cand('b', 1, 10), cand('c', 1, 10)];
      const picked = Array.from({ length: 10 }, () => balancer.pick(cs)!.name);
      expect(picked.filter((n) => n === 'a'), kind).toEqual([]);
      // With b and c gone (ejected), the next priority takes the calls.
      expect(balancer.pick([cs[0]!])!.name, kind).toBe('a');
    }
  });

  it('checkWeighting refuses what an SRV record cannot carry', () => {
    const peer = { address: '10.0.0.1', family: 'IPv4', port: 1 } as const;
    for (const bad of [{ weight: -1 }, { weight: 65536 }, { priority: 1.5 }, { priority: Number.NaN }]) {
      expect(() => checkWeighting({ ...peer, ...bad })).toThrow(RangeError);
    }
    expect(() => checkWeighting({ ...peer, weight: '1' as unknown as number })).toThrow(TypeError);
    expect(() => checkWeighting({ ...peer, priority: 0, weight: 65535 })).not.toThrow();
  });
});

describe('SRV record selection', () => {
  const rec = (target: string, port: number, priority = 10, weight = 1, ttl = 30): SrvRecord => ({ target, port, priority, weight, ttl });
  const addr = (address: string, ttl = 30): TargetAddress => ({ address, family: address.includes(':') ? 6 : 4, ttl });

  it('one endpoint per target and port: sorted by priority, target, port; IPv4 first; no address, no endpoint; duplicates once', () => {
    const records = [rec('b.x', 2000, 20, 5), rec('a.x', 1000), rec('c.x', 1000), rec('A.x', 1000, 30), rec('d.x', 53, 5)];
    const addresses = new Map([
      ['a.x', [addr('fd00::1'), addr('10.0.0.9'), addr('10.0.0.1')]],
      ['b.x', [addr('fd00::2')]],
      ['c.x', []],
      ['d.x', [addr('10.0.0.4', 5)]],
    ]);
    const expected: WeightedPeer[] = [
      { address: '10.0.0.4', family: 'IPv4', port: 53, priority: 5, weight: 1 },
      { address: '10.0.0.1', family: 'IPv4', port: 1000, priority: 10, weight: 1 },
      { address: 'fd00::2', family: 'IPv6', port: 2000, priority: 20, weight: 5 },
    ];
    expect(srvPeers(records, addresses)).toEqual(expected);
    expect(smallestTtl(records, addresses)).toBe(5);
  });

  it('reads SRV answers of the name asked, and target "." alone means no service', () => {
    const packet = (answers: DnsRecord[]): DnsResponse => ({ answers, additionals: [] });
    const srv = (name: string, target: string, port = 1): DnsRecord => ({ type: 'SRV', name, ttl: 7, data: { priority: 1, weight: 2, port, target } });
    expect(srvRecordsOf(packet([srv('_c._udp.x', 'a.x'), srv('_other._udp.x', 'b.x'), srv('_C._UDP.X', 'c.x'), srv('_c._udp.x', 'z.x', 0)]), '_c._udp.x', 10)).toEqual([
      { priority: 1, weight: 2, port: 1, target: 'a.x', ttl: 7 },
      { priority: 1, weight: 2, port: 1, target: 'c.x', ttl: 7 },
    ]);
    expect(srvRecordsOf(packet([srv('_c._udp.x', '.')]), '_c._udp.x', 10)).toEqual([]);
    expect(srvRecordsOf(packet([srv('_c._udp.x', 'a.x'), srv('_c._udp.x', 'b.x'), srv('_c._udp.x', 'c.x')]), '_c._udp.x', 2)).toHaveLength(2);
  });
});

describe('SrvWatcher schedule (virtual clock)', () => {
  const peers = (...ports: number[]): WeightedPeer[] => ports.map((port) => ({ address: '10.0.0.1', family: 'IPv4', port, priority: 0, weight: 1 }));

  it('re-resolves at the clamped TTL, backs off 1, 2, 4, 8 s on failures keeping the last set, and reports only changes', async () => {
    const clock = new VirtualClock();
    const script: (SrvResolution | Error)[] = [
      { peers: peers(1), ttlMs: 0 }, // first round: TTL 0 → the 1 s floor
      { peers: peers(1), ttlMs: 10_000_000 }, // unchanged → not reported; TTL → the 300 s ceiling
      new Error('a'),
      new Error('b'),
      new Error('c'),
      new Error('d'),
      { peers: peers(2), ttlMs: 2500 },
    ];
    const rounds: number[] = [];
    const changes: number[][] = [];
    const errors: string[] = [];
    const stats: DnsStats = zeroDnsStats();
    const watcher = new SrvWatcher({
      name: '_c._udp.x',
      resolve: async () => {
        rounds.push(clock.now());
        const next = script.shift()!;
        if (next instanceof Error) throw next;
        return next;
      },
      clock,
      random: () => 0.5, // jitter factor exactly 1
      timing: { minTtlMs: 1000, maxTtlMs: 300_000, maxBackoffMs: 4000 },
      stats,
      onChange: (p) => changes.push(p.map((x) => x.port)),
      onError: (e) => errors.push(`${e.code} ${e.message}`),
    });
    expect(await watcher.resolveNow()).toEqual(peers(1));
    watcher.start();
    await clock.runUntil(() => script.length === 0, { maxTimeMs: 1_000_000 });
    await clock.flushMicrotasks();
    // 0; +1 s floor; +300 s ceiling; then backoff 1, 2, 4, 4 (capped) s.
    expect(rounds).toEqual([0, 1000, 301_000, 302_000, 304_000, 308_000, 312_000]);
    expect(changes).toEqual([[2]]);
    expect(errors).toEqual(['UNAVAILABLE a', 'UNAVAILABLE b', 'UNAVAILABLE c', 'UNAVAILABLE d']);
    expect(watcher.delayMs).toBe(2500);
    expect(stats).toMatchObject({ resolutions: 3, failures: 4 });
    watcher.stop();
    expect(clock.pendingTimers).toBe(0);
  });
});

/** A scripted transport: records what is sent, and answers each query with what `respond` returns. */
function scriptedSockets(respond: (query: DecodedPacket, to: PeerAddress) => { bytes: Uint8Array; from?: PeerAddress }[]) {
  const sent: { to: PeerAddress; query: DecodedPacket }[] = [];
  let open = 0;
  const factory = (): Transport => {
    let deliver: DatagramHandler | undefined;
    return {
      async listen(onDatagram) {
        open++;
        deliver = onDatagram;
        return { address: '0.0.0.0', family: 'IPv4', port: 40000 };
      },
      send(bytes, to) {
        const query = decode(Buffer.from(bytes));
        sent.push({ to, query });
        for (const r of respond(query, to)) queueMicrotask(() => deliver?.(r.bytes, r.from ?? to));
      },
      async close() {
        open--;
      },
    };
  };
  return { sent, factory, get open() { return open; } };
}

const answer = (q: DecodedPacket, patch: Partial<DecodedPacket> & { rcode?: number } = {}): Uint8Array => {
  const { rcode = 0, ...rest } = patch;
  return encode({
    type: 'response',
    id: q.id,
    flags: rcode,
    questions: q.questions,
    answers: [{ type: 'A', name: q.questions![0]!.name, ttl: 5, data: '10.0.0.7' }],
    ...rest,
  });
};

describe('DnsQuerier (scripted transport, virtual clock)', () => {
  const servers = [parseDnsServer('10.0.0.53'), parseDnsServer('10.0.0.54:5353')];

  async function run(respond: Parameters<typeof scriptedSockets>[0], attempts = 3) {
    const clock = new VirtualClock();
    const sockets = scriptedSockets(respond);
    const stats = zeroDnsStats();
    let ids = 0;
    const querier = new DnsQuerier({ servers, clock, random: () => ((ids++ * 4099) % 65536) / 65536, timeoutMs: 500, attempts, stats, socket: sockets.factory });
    const result = querier.query('a.x', 'A', false).then(
      (p) => p,
      (e: unknown) => e as RpcError,
    );
    await clock.runAll({ maxTimeMs: 10_000 });
    return { outcome: await result, stats, sockets, clock };
  }

  it('drops and counts wrong source, wrong ID, wrong question, oversized and junk, then takes the real answer', async () => {
    const { outcome, stats, sockets } = await run((q) => [
      { bytes: answer(q), from: { address: '10.6.6.6', family: 'IPv4', port: 53 } },
      { bytes: answer(q, { id: (q.id! + 1) & 0xffff }) },
      { bytes: answer(q, { questions: [{ type: 'A', name: 'b.x' }] }) },
      { bytes: new Uint8Array(4097) },
      { bytes: new Uint8Array([0xff, 0xff, 0x81, 0, 0, 1, 0xff, 0xff, 0, 0, 0, 0]) },
      { bytes: answer(q) },
    ]);
    expect(outcome).toEqual({ answers: [{ type: 'A', name: 'a.x', ttl: 5, data: '10.0.0.7' }], additionals: [] });
    expect(stats).toEqual({ queries: 1, timeouts: 0, drops: { oversized: 1, malformed: 1, mismatched: 3 }, resolutions: 0, failures: 0 });
    expect(sockets.sent.map((s) => s.to.port)).toEqual([53]);
    expect(sockets.sent[0]!.query.additionals?.[0]).toMatchObject({ type: 'OPT', udpPayloadSize: 4096 });
    expect(sockets.open).toBe(0);
  });

  it('times out, moves to the next server each attempt, and fails with details.dns = timeout after the last', async () => {
    const { outcome, stats, sockets, clock } = await run(() => []);
    expect(outcome).toMatchObject({ code: 'UNAVAILABLE', details: { dns: 'timeout' } });
    expect(sockets.sent.map((s) => `${s.to.address}:${s.to.port}`)).toEqual(['10.0.0.53:53', '10.0.0.54:5353', '10.0.0.53:53']);
    expect(stats).toMatchObject({ queries: 3, timeouts: 3 });
    expect(clock.now()).toBe(1500);
    expect(sockets.open).toBe(0);
  });

  it('tries the next server after SERVFAIL; stops at NXDOMAIN; fails on TC (no partial answers)', async () => {
    let n = 0;
    const servfailThenOk = await run((q) => [{ bytes: answer(q, n++ === 0 ? { rcode: 2, answers: [] } : {}) }]);
    expect((servfailThenOk.outcome as DnsResponse).answers).toHaveLength(1);
    expect(servfailThenOk.sockets.sent.map((s) => s.to.port)).toEqual([53, 5353]);

    const nx = await run((q) => [{ bytes: answer(q, { rcode: 3, answers: [] }) }]);
    expect(nx.outcome).toMatchObject({ code: 'UNAVAILABLE', details: { dns: 'nxdomain' } });
    expect(nx.sockets.sent).toHaveLength(1);

    const tc = await run((q) => [{ bytes: answer(q, { flags: 1 << 9 }) }]);
    expect(tc.outcome).toMatchObject({ code: 'UNAVAILABLE', details: { dns: 'truncated' } });
    expect(tc.sockets.sent).toHaveLength(1);
  });
});

describe('DnsQuerier never throws on junk (property)', () => {
  it('random datagrams before the answer are each one counted drop; mutated answers end the attempt with a packet or a typed error', async () => {
    const junk = fc.oneof(
      fc.uint8Array({ maxLength: 5000 }),
      // A real response with some bytes changed: decodes or not, matches or not.
      fc.record({ at: fc.array(fc.nat(), { minLength: 1, maxLength: 4 }), value: fc.integer({ min: 0, max: 255 }) }).map(({ at, value }) => ({ at, value })),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(junk, { maxLength: 6 }), async (datagrams) => {
        const clock = new VirtualClock();
        const stats = zeroDnsStats();
        const sockets = scriptedSockets((q) => [
          ...datagrams.map((d) => {
            if (d instanceof Uint8Array) return { bytes: d };
            const bytes = Uint8Array.from(answer(q));
            for (const i of d.at) bytes[i % bytes.length] = d.value;
            return { bytes };
          }),
          { bytes: answer(q) },
        ]);
        const querier = new DnsQuerier({ servers: [parseDnsServer('10.0.0.53')], clock, random: () => 0.25, timeoutMs: 500, attempts: 1, stats, socket: sockets.factory });
        const result = querier.query('a.x', 'A', false).then(
          (p) => p,
          (e: unknown) => e,
        );
        await clock.runAll({ maxTimeMs: 10_000 });
        const outcome = await result;
        const { oversized, malformed, mismatched } = stats.drops;
        // A mutated copy may still answer our question (say with another rcode, or the TC bit): then it ends the
        // attempt, as a packet or a typed error, and what follows is not counted. Random bytes never match.
        if (RpcError.is(outcome)) expect(outcome).toMatchObject({ code: 'UNAVAILABLE', details: { dns: expect.any(String) } });
        else expect(Array.isArray((outcome as DnsResponse).answers)).toBe(true);
        expect(oversized + malformed + mismatched).toBeLessThanOrEqual(datagrams.length);
        if (datagrams.every((d) => d instanceof Uint8Array)) {
          expect(oversized + malformed + mismatched).toBe(datagrams.length);
          expect((outcome as DnsResponse).answers).toHaveLength(1);
        }
        expect(sockets.open).toBe(0);
      }),
      { numRuns: 300, seed: 20_261_203 },
    );
  });
});

describe('parsing', () => {
  it('parseSrvUrl takes a DNS name and nothing else', () => {
    expect(parseSrvUrl('udp+srv://_calc._udp.Example.Internal.')).toEqual({ name: '_calc._udp.example.internal' });
    for (const bad of ['udp+srv://_calc._udp.x:53', 'udp+srv://_calc._udp.x/path', 'udp+srv://_calc._udp.x?a=1', 'udp+srv://u@x', 'udp://x:1', 'udp+srv://a..b', `udp+srv://${'a'.repeat(64)}.x`, 'udp+srv://']) {
      expect(() => parseSrvUrl(bad), bad).toThrow(TypeError);
    }
  });

  it('parseDnsServer takes IP literals with an optional port', () => {
    expect(parseDnsServer('127.0.0.1:5353')).toEqual({ address: '127.0.0.1', family: 'IPv4', port: 5353 });
    expect(parseDnsServer('::1')).toEqual({ address: '::1', family: 'IPv6', port: 53 });
    expect(parseDnsServer('[fd00::53]:5300')).toEqual({ address: 'fd00::53', family: 'IPv6', port: 5300 });
    for (const bad of ['dns.example', '[::1]:x']) expect(() => parseDnsServer(bad), bad).toThrow(TypeError);
    for (const bad of ['127.0.0.1:0', '127.0.0.1:70000']) expect(() => parseDnsServer(bad), bad).toThrow(RangeError);
  });
});
