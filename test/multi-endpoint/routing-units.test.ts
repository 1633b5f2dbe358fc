// The pure pieces of multi-endpoint routing: balancers, outlier detection,
// the latency window and option checking. Injected random sources and `now`.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  EndpointHealth,
  LatencyWindow,
  RoundRobinBalancer,
  createClient,
  defaultHealthPolicy,
  pickTwoChoices,
  type BalancerCandidate,
} from '@udprpc/client';
import { createRandom } from '@udprpc/testkit';
import { createMemoryNetwork } from '@udprpc/testkit';

const c = (seq: number, outstanding: number, srttMs?: number): BalancerCandidate => ({ seq, outstanding, srttMs });

describe('pickTwoChoices', () => {
  it('returns undefined for no candidate and the only one for one', () => {
    expect(pickTwoChoices([], Math.random)).toBeUndefined();
    const only = c(0, 9);
    expect(pickTwoChoices([only], Math.random)).toBe(only);
  });

  it('never picks the most loaded of the two it draws, and never the single most loaded of all', () => {
    fc.assert(
      fc.property(fc.array(fc.nat({ max: 20 }), { minLength: 2, maxLength: 8 }), fc.integer(), (loads, seed) => {
        const candidates = loads.map((l, i) => c(i, l));
        const random = createRandom(seed);
        const chosen = pickTwoChoices(candidates, random)!;
        const max = Math.max(...loads);
        // Strictly-most-loaded endpoints can only win against themselves, which p2c never draws.
        if (loads.filter((l) => l === max).length === 1) expect(chosen.outstanding).toBeLessThan(max);
      }),
      { numRuns: 300, seed: 1 },
    );
  });

  it('breaks an outstanding tie by the lower smoothed RTT (unmeasured counts as fastest)', () => {
    const slow = c(0, 1, 9);
    const fast = c(1, 1, 2);
    const fresh = c(2, 1, undefined);
    for (let seed = 0; seed < 50; seed++) {
      expect(pickTwoChoices([slow, fast], createRandom(seed))).toBe(fast);
      expect(pickTwoChoices([fast, fresh], createRandom(seed))).toBe(fresh);
    }
  });
});

describe('RoundRobinBalancer', () => {
  it('cycles through the list in order', () => {
    const rr = new RoundRobinBalancer();
    const list = [c(0, 0), c(1, 5), c(2, 9)];
    expect(Array.from({ length: 7 }, () => rr.pick(list)!.seq)).toEqual([0, 1, 2, 0, 1, 2, 0]);
  });

  it('skips candidates left out of a pick without upsetting the others’ turns', () => {
    const rr = new RoundRobinBalancer();
    const all = [c(0, 0), c(1, 0), c(2, 0)];
    expect(rr.pick(all)!.seq).toBe(0);
    expect(rr.pick([all[0]!, all[2]!])!.seq).toBe(2); // 1 is ejected
    expect(rr.pick(all)!.seq).toBe(0);
    expect(rr.pick([])).toBeUndefined();
  });
});

describe('EndpointHealth', () => {
  const policy = { ...defaultHealthPolicy, consecutiveFailures: 3, ejectionMs: 1000, maxEjectionMs: 4000, trialGraceMs: 500 };
  const fixed = () => 0.5; // jitter factor exactly 1

  it('ejects after N consecutive failures, not before, and a success resets the count', () => {
    const h = new EndpointHealth(policy, fixed);
    h.onFailure(0, false, true);
    h.onFailure(0, false, true);
    h.onSuccess(false);
    h.onFailure(0, false, true);
    h.onFailure(0, false, true);
    expect(h.state(0)).toBe('healthy');
    h.onFailure(10, false, true);
    expect(h.state(10)).toBe('ejected');
    expect(h.ejectionEndsAt).toBe(1010);
    expect(h.accepts(500, true)).toBe(false);
  });

  it('does not eject when told it would leave no endpoint in rotation', () => {
    const h = new EndpointHealth(policy, fixed);
    for (let i = 0; i < 10; i++) h.onFailure(i, false, false);
    expect(h.state(10)).toBe('healthy');
    expect(h.consecutiveFailures).toBe(10);
  });

  it('probes with exactly one trial; idempotent calls first, any call after the grace period', () => {
    const h = new EndpointHealth(policy, fixed);
    for (let i = 0; i < 3; i++) h.onFailure(0, false, true);
    expect(h.state(1000)).toBe('probing');
    expect(h.accepts(1000, false)).toBe(false);
    expect(h.accepts(1000, true)).toBe(true);
    expect(h.accepts(1500, false)).toBe(true);
    expect(h.onAttempt(1000)).toBe(true);
    expect(h.accepts(1000, true)).toBe(false); // one trial at a time
    expect(h.onAttempt(1000)).toBe(false);
    h.onSuccess(true);
    expect(h.state(1000)).toBe('healthy');
    expect(h.consecutiveFailures).toBe(0);
  });

  it('a failed trial ejects again with the period doubled, up to the maximum', () => {
    const h = new EndpointHealth(policy, fixed);
    for (let i = 0; i < 3; i++) h.onFailure(0, false, true);
    const ends: number[] = [h.ejectionEndsAt];
    for (let round = 0; round < 4; round++) {
      const now = h.ejectionEndsAt;
      expect(h.onAttempt(now)).toBe(true);
      h.onFailure(now, true, true);
      ends.push(h.ejectionEndsAt - now);
    }
    expect(ends).toEqual([1000, 2000, 4000, 4000, 4000]);
    expect(h.ejections).toBe(5);
  });

  it('orders the least bad first: fewer failures, then earlier end of ejection', () => {
    const a = new EndpointHealth(policy, fixed);
    const b = new EndpointHealth(policy, fixed);
    for (let i = 0; i < 3; i++) a.onFailure(0, false, true);
    for (let i = 0; i < 4; i++) b.onFailure(0, false, true);
    expect(EndpointHealth.compare(a, b)).toBeLessThan(0);
  });
});

describe('LatencyWindow', () => {
  it('gives nearest-rank quantiles of the most recent samples only', () => {
    const w = new LatencyWindow(100);
    expect(w.quantile(0.95)).toBeUndefined();
    for (let i = 1; i <= 100; i++) w.add(i);
    expect(w.quantile(0.95)).toBe(95);
    expect(w.quantile(0)).toBe(1);
    expect(w.quantile(1)).toBe(100);
    for (let i = 0; i < 100; i++) w.add(1000 + i); // the old samples fall out
    expect(w.size).toBe(100);
    expect(w.quantile(0.5)).toBe(1049);
  });

  it('ignores negative and non-finite samples and stays within its capacity', () => {
    fc.assert(
      fc.property(fc.array(fc.double()), fc.integer({ min: 1, max: 16 }), (samples, capacity) => {
        const w = new LatencyWindow(capacity);
        for (const s of samples) w.add(s);
        expect(w.size).toBeLessThanOrEqual(capacity);
        const q = w.quantile(0.95);
        if (q !== undefined) expect(q >= 0 && Number.isFinite(q)).toBe(true);
      }),
      { numRuns: 200, seed: 2 },
    );
  });
});

describe('createClient multi-endpoint options', () => {
  const net = createMemoryNetwork();
  const transport = () => net.endpoint();
  const peer = { address: 'x', family: 'sim' as const, port: 1 };

  it('takes exactly one of peer and peers', () => {
    expect(() => createClient({ transport: transport() })).toThrow(/exactly one of `peer` and `peers`/);
    expect(() => createClient({ transport: transport(), peer, peers: [peer] })).toThrow(/exactly one/);
  });

  it('checks routing options', () => {
    expect(() => createClient({ transport: transport(), peers: [peer], balancer: 'random' as never })).toThrow(/balancer/);
    expect(() => createClient({ transport: transport(), peers: [peer], failover: { attemptFraction: 0 } })).toThrow(/attemptFraction/);
    expect(() => createClient({ transport: transport(), peers: [peer], hedging: { enabled: true, delayMs: -1 } })).toThrow(/delayMs/);
    expect(() => createClient({ transport: transport(), peers: [peer], health: { consecutiveFailures: 0 } })).toThrow(/consecutiveFailures/);
  });

  it('setPeers is for multi-endpoint clients only; endpoints() is empty for a single peer', () => {
    const single = createClient({ transport: transport(), peer });
    expect(() => single.setPeers([peer])).toThrow(/setPeers needs a client created with `peers`/);
    expect(single.endpoints()).toEqual([]);
    expect(single.stats().routing).toEqual({ failovers: 0, hedges: 0, hedgesWon: 0, hedgesDenied: 0, ejections: 0, goAways: 0, drainReroutes: 0 });
  });
});
