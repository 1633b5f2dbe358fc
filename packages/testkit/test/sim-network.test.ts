import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SimNetwork, VirtualClock, netConditions, seeds, type SimNetworkEvent } from '@udprpc/testkit';
import { popcount, setup } from './sim-helpers.js';

const N = 10_000;

describe('SimNetwork: basics', () => {
  it('gives endpoints unique sim addresses and the default MTU as maxDatagramBytes', () => {
    const net = new SimNetwork({ clock: new VirtualClock(), seed: 1, defaults: { mtu: 1200 } });
    const a = net.endpoint();
    const b = net.endpoint();
    const s1 = net.endpoint('server');
    const s2 = net.endpoint('server');
    expect(a.address).toEqual({ address: 'sim-1', family: 'sim', port: 1 });
    expect(b.address).toEqual({ address: 'sim-2', family: 'sim', port: 1 });
    expect([s1.address.port, s2.address.port]).toEqual([1, 2]);
    expect(a.maxDatagramBytes).toBe(1200);
    expect(new SimNetwork({ clock: new VirtualClock(), seed: 1 }).endpoint().maxDatagramBytes).toBe(65_507);
  });

  it('delivers a copy after the configured delay via the clock, never inside send', async () => {
    const { clock, net, log, ep, send } = await setup(1, { delayMs: 5 });
    const buffer = Uint8Array.from([1, 2, 3]);
    send('a', 'b', buffer);
    buffer[0] = 9;
    expect(log).toEqual([]);
    expect(net.stats().inFlight).toBe(1);
    clock.advance(4);
    expect(log).toEqual([]);
    clock.advance(1);
    expect(log).toEqual([{ atMs: 5, to: 'b', from: 'a', hex: '010203' }]);
    expect(net.stats()).toMatchObject({ sent: 1, delivered: 1, inFlight: 0 });
    expect(await ep('a').listen(() => {}, () => {}).catch((e: Error) => e.message)).toMatch(/already listening/);
  });

  it('keeps FIFO order on a fixed delay, and delivers in time order with a range', async () => {
    const fixed = await setup(3, { delayMs: 2 });
    for (let i = 0; i < 50; i++) fixed.send('a', 'b', [i]);
    fixed.clock.advance(10);
    expect(fixed.log.map((r) => Number.parseInt(r.hex, 16))).toEqual(Array.from({ length: 50 }, (_, i) => i));
    const ranged = await setup(3, { delayMs: { min: 1, max: 20 } });
    for (let i = 0; i < 50; i++) ranged.send('a', 'b', [i]);
    ranged.clock.advance(20);
    expect(ranged.log).toHaveLength(50);
    const times = ranged.log.map((r) => r.atMs);
    expect(times).toEqual([...times].sort((x, y) => x - y));
    expect(Math.min(...times)).toBeGreaterThanOrEqual(1);
    expect(Math.max(...times)).toBeLessThanOrEqual(20);
    expect(ranged.log.map((r) => r.hex)).not.toEqual(fixed.log.map((r) => r.hex)); // a range reorders
  });

  it('supports a delay function drawing from the seeded source', async () => {
    const { clock, log, send } = await setup(4, { delayMs: (r) => 10 + Math.floor(r() * 3) });
    for (let i = 0; i < 100; i++) send('a', 'b', [i]);
    clock.advance(100);
    expect(new Set(log.map((r) => r.atMs))).toEqual(new Set([10, 11, 12]));
  });

  it('counts and drops datagrams to unknown, not-yet-listening and closed endpoints', async () => {
    const { clock, net, ep, send } = await setup(5, { delayMs: 1 });
    const idle = net.endpoint('idle');
    ep('a').send(Uint8Array.of(1), { address: 'nowhere', family: 'sim', port: 1 });
    ep('a').send(Uint8Array.of(2), idle.address);
    await ep('b').close();
    send('a', 'b', [3]);
    ep('b').send(Uint8Array.of(4), ep('a').address); // closed sender: a no-op
    clock.advance(5);
    expect(net.stats()).toMatchObject({ sent: 3, delivered: 0, unreachable: 3, inFlight: 0 });
  });

  it('rejects invalid conditions with RangeError', () => {
    const clock = new VirtualClock();
    expect(() => new SimNetwork({ clock, seed: 1, defaults: { loss: 1.5 } })).toThrow(RangeError);
    const net = new SimNetwork({ clock, seed: 1 });
    expect(() => net.setLink('a', 'b', { delayMs: { min: 5, max: 1 } })).toThrow(/min \(5\) is above max/);
    expect(() => net.setLink('a', 'b', { mtu: -1 })).toThrow(RangeError);
    expect(() => net.setLink('a', 'b', { duplicate: Number.NaN })).toThrow(RangeError);
  });

  it('reports deliveries and drops to onEvent', async () => {
    const clock = new VirtualClock();
    const events: SimNetworkEvent[] = [];
    const net = new SimNetwork({ clock, seed: 1, defaults: { delayMs: 3, mtu: 4 }, onEvent: (e) => events.push(e) });
    const a = net.endpoint('a');
    const b = net.endpoint('b');
    await b.listen(() => {}, () => {});
    a.send(Uint8Array.of(1, 2), b.address);
    a.send(new Uint8Array(5), b.address);
    clock.advance(3);
    expect(events.map((e) => (e.type === 'drop' ? `drop:${e.reason}@${e.atMs}` : `deliver@${e.atMs}`))).toEqual([
      'drop:mtu@0',
      'deliver@3',
    ]);
  });
});

describe('SimNetwork: impairments', () => {
  it(`loses close to the configured fraction over ${N} datagrams`, async () => {
    const { clock, net, log, send } = await setup(1234, { loss: 0.25, delayMs: 1 });
    for (let i = 0; i < N; i++) send('a', 'b', [i & 0xff]);
    clock.advance(10);
    const s = net.stats();
    expect(s.lost / N).toBeGreaterThan(0.23);
    expect(s.lost / N).toBeLessThan(0.27);
    expect(s.delivered).toBe(N - s.lost);
    expect(log).toHaveLength(s.delivered);
  });

  it('duplicates close to the configured fraction; duplicate 1 doubles everything', async () => {
    const some = await setup(77, { duplicate: 0.1 });
    for (let i = 0; i < N; i++) some.send('a', 'b', [1]);
    some.clock.advance(1);
    const s = some.net.stats();
    expect(s.duplicated / N).toBeGreaterThan(0.085);
    expect(s.duplicated / N).toBeLessThan(0.115);
    expect(s.delivered).toBe(N + s.duplicated);
    const all = await setup(77, { duplicate: 1 });
    all.send('a', 'b', [7]);
    all.clock.advance(1);
    expect(all.log.map((r) => r.hex)).toEqual(['07', '07']);
  });

  it('drops datagrams above the MTU and counts them; exactly the MTU passes', async () => {
    const { clock, net, log, send } = await setup(9, { mtu: 100 });
    send('a', 'b', new Uint8Array(100));
    send('a', 'b', new Uint8Array(101));
    clock.advance(1);
    expect(log).toHaveLength(1);
    expect(net.stats()).toMatchObject({ mtuDropped: 1, delivered: 1 });
  });

  it('corrupt flips exactly one bit of each corrupted copy', async () => {
    const { clock, net, log, send } = await setup(11, { corrupt: 1 });
    const original = Uint8Array.from({ length: 32 }, (_, i) => i * 7);
    for (let i = 0; i < 500; i++) send('a', 'b', original);
    send('a', 'b', []); // nothing to flip
    clock.advance(1);
    expect(net.stats().corrupted).toBe(500);
    const flippedPositions = new Set<number>();
    for (const r of log.slice(0, 500)) {
      const bytes = Uint8Array.from(r.hex.match(/../g)!.map((h) => Number.parseInt(h, 16)));
      let bits = 0;
      bytes.forEach((b, i) => {
        const diff = b ^ original[i]!;
        if (diff !== 0) flippedPositions.add(i * 8 + Math.log2(diff));
        bits += popcount(diff);
      });
      expect(bits).toBe(1);
    }
    expect(flippedPositions.size).toBeGreaterThan(200); // spread over the 256 bits
    expect(log.at(-1)!.hex).toBe('');
  });

  it('reorder holds some datagrams back so later ones overtake them', async () => {
    const { clock, net, log, send } = await setup(13, { delayMs: 5, reorder: 0.2, reorderDelayMs: 30 });
    for (let i = 0; i < 200; i++) send('a', 'b', [i]);
    clock.advance(100);
    const order = log.map((r) => Number.parseInt(r.hex, 16));
    expect(order).toHaveLength(200);
    expect(order).not.toEqual([...order].sort((x, y) => x - y));
    expect(net.stats().reordered).toBeGreaterThan(20);
  });

  it('applies conditions per direction', async () => {
    const { clock, net, log, ep, send } = await setup(15, { delayMs: 1 });
    net.setLink(ep('a'), 'b', { loss: 1 });
    net.setLink('b', ep('a').address, { delayMs: 40 });
    send('a', 'b', [1]);
    send('b', 'a', [2]);
    send('a', 'c', [3]);
    clock.advance(100);
    expect(log.map((r) => `${r.from}>${r.to}@${r.atMs}`)).toEqual(['a>c@1', 'b>a@40']);
    net.setLinkBoth('a', 'c', { delayMs: 7 });
    send('a', 'c', [4]);
    send('c', 'a', [5]);
    net.clearLink('a', 'b');
    send('a', 'b', [6]);
    clock.advance(100);
    expect(log.slice(2).map((r) => `${r.from}>${r.to}@${r.atMs}`)).toEqual(['a>b@101', 'a>c@107', 'c>a@107']);
    net.setDefaults({ delayMs: 2 });
    send('a', 'b', [7]);
    send('b', 'a', [8]); // link b→a keeps its own 40 ms
    clock.advance(100);
    expect(log.slice(5).map((r) => `${r.from}>${r.to}@${r.atMs}`)).toEqual(['a>b@202', 'b>a@240']);
  });

  it('partitions cut both directions between groups, in flight too, until healed', async () => {
    const { clock, net, log, send } = await setup(17, { delayMs: 10 }, ['a', 'b', 'c', 'd']);
    send('a', 'b', [0]); // in flight when the partition starts
    clock.advance(5);
    const cut = net.partition(['a', 'c'], ['b']);
    send('a', 'b', [1]);
    send('b', 'a', [2]);
    send('b', 'c', [3]);
    send('a', 'c', [4]); // same side
    send('d', 'b', [5]); // outside both groups
    clock.advance(20);
    expect(log.map((r) => r.hex)).toEqual(['04', '05']);
    expect(net.stats().partitioned).toBe(4);
    cut.heal();
    send('a', 'b', [6]);
    send('b', 'a', [7]);
    clock.advance(20);
    expect(log.map((r) => r.hex)).toEqual(['04', '05', '06', '07']);
    net.partition(['a'], ['b']);
    net.partition(['c'], ['d']);
    net.heal();
    send('a', 'b', [8]);
    send('c', 'd', [9]);
    clock.advance(20);
    expect(log).toHaveLength(6);
    expect(() => net.partition(['a', 'b'], ['b'])).toThrow(/both sides/);
  });
});

describe('SimNetwork: determinism and accounting', () => {
  interface Send {
    from: string;
    to: string;
    bytes: Uint8Array;
    gapMs: number;
  }
  const sendsArb: fc.Arbitrary<Send[]> = fc.array(
    fc.record({
      from: fc.constantFrom('a', 'b', 'c'),
      to: fc.constantFrom('a', 'b', 'c', 'x'),
      bytes: fc.uint8Array({ maxLength: 40 }),
      gapMs: fc.integer({ min: 0, max: 20 }),
    }),
    { maxLength: 80 },
  );

  async function run(seed: number, conditions: Parameters<typeof setup>[1], sends: readonly Send[]) {
    const s = await setup(seed, { ...conditions, corrupt: 0.1, mtu: 30 });
    for (const m of sends) {
      if (m.to === 'x') s.ep(m.from).send(m.bytes, { address: 'x', family: 'sim', port: 1 });
      else s.send(m.from, m.to, m.bytes);
      s.clock.advance(m.gapMs);
    }
    s.clock.advance(1000);
    return { log: s.log, stats: s.net.stats() };
  }

  it('the same seed and sends give the same deliveries, bit for bit; counters balance', async () => {
    await fc.assert(
      fc.asyncProperty(seeds(), netConditions(), sendsArb, async (seed, conditions, sends) => {
        const first = await run(seed, conditions, sends);
        const second = await run(seed, conditions, sends);
        expect(second).toEqual(first);
        const s = first.stats;
        expect(s.sent + s.duplicated).toBe(s.delivered + s.lost + s.mtuDropped + s.partitioned + s.unreachable + s.inFlight);
        expect(s.inFlight).toBe(0);
        expect(first.log).toHaveLength(s.delivered);
      }),
      { numRuns: 100, seed: 4242 },
    );
  });

  it('a different seed gives a different run', async () => {
    const sends = Array.from({ length: 200 }, (_, i) => ({ from: 'a', to: 'b', bytes: Uint8Array.of(i & 0xff), gapMs: 1 }));
    const conditions = { loss: 0.2, duplicate: 0.1, delayMs: { min: 1, max: 10 } };
    expect((await run(1, conditions, sends)).log).not.toEqual((await run(2, conditions, sends)).log);
  });
});
