// Path MTU discovery (protocol.md §7.5, packages/core/src/pmtu): with default
// options the client probes 1472, 8952 and 65,507-byte datagrams in turn,
// each confirmed only by the server's padded PONG, and settles on the largest
// size the link carries; the server sends its reply fragments at the size the
// client reported. Exact oracles: the probe sizes sent, the fragment sizes
// used, the probes lost; the search's virtual time is bounded.
import { afterEach, describe, expect, it } from 'vitest';
import { FrameType } from '@udprpc/core/wire';
import { payload } from '../properties/sim-harness.js';
import { fragmentSizes, probeConfirmed, probeSizes, startPmtuRun, type PmtuRun } from './pmtu-harness.js';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

async function start(options: Parameters<typeof startPmtuRun>[0]): Promise<PmtuRun> {
  const run = await startPmtuRun(options);
  closers.push(run.close);
  return run;
}

/** Bytes of an echo big enough to be fragmented at every size (request and reply). */
const BIG = 100_000;

// Generous timeouts: virtual time, but many datagrams on a loaded machine.
describe('path MTU discovery reaches the largest size the link carries', { timeout: 120_000 }, () => {
  // link MTU → probes sent (sizes; 18 = the report), probes lost, the size then used both ways.
  const cases = [
    { mtu: 65_507, probes: [1472, 8952, 65_507, 18], confirmed: [0, 1472, 8952, 65_507], lost: 0, size: 65_507 },
    { mtu: 9000, probes: [1472, 8952, 65_507, 65_507, 65_507, 18], confirmed: [0, 1472, 8952, 8952, 8952, 8952], lost: 3, size: 8952 },
    { mtu: 1500, probes: [1472, 8952, 8952, 8952, 18], confirmed: [0, 1472, 1472, 1472, 1472], lost: 3, size: 1472 },
    // Nothing above the base: three lost probes, and nothing to report (the server never heard more).
    { mtu: 1400, probes: [1472, 1472, 1472], confirmed: [0, 0, 0], lost: 3, size: 1200 },
  ];
  for (const c of cases) {
    it(`link MTU ${c.mtu}: probes ${c.probes.join(', ')}, then fragments of ${c.size}-byte datagrams both ways`, async () => {
      const run = await start({ seed: 1, link: { mtu: c.mtu } });
      const t0 = run.clock.now();
      const small = payload(100, 1);
      expect(await run.echo(1, small)).toEqual(small);
      // The search runs beside the calls; at most 3 sizes × 3 probes, each
      // lost one after max(100 ms, 2 × RTO) with an RTO of at most 200 ms.
      await run.clock.runFor(4000);
      expect(probeSizes(run.clientTap)).toEqual(c.probes);
      expect(probeConfirmed(run.clientTap)).toEqual(c.confirmed);
      const stats = run.client.stats();
      expect(stats.pmtuProbes).toBe(c.probes.length);
      expect(stats.pmtuProbesLost).toBe(c.lost);
      expect(stats.pmtuBlackHoles).toBe(0);
      expect(run.clock.now() - t0).toBeLessThanOrEqual(4100);
      const from = { client: run.clientTap.sent.length, server: run.serverTap.sent.length };
      const big = payload(BIG, 2);
      expect(await run.echo(2, big)).toEqual(big);
      expect(fragmentSizes(run.clientTap, FrameType.REQUEST, from.client)).toEqual([c.size]);
      expect(fragmentSizes(run.serverTap, FrameType.RESPONSE, from.server)).toEqual([c.size]);
      expect(run.net.stats().mtuDropped).toBe(c.lost);
      expect(run.runs.get(2)).toBe(1);
    });
  }

  it('a fixed maxDatagramBytes turns discovery off: no probe, fragments of that size', async () => {
    const run = await start({ seed: 2, client: { maxDatagramBytes: 1200 } });
    const big = payload(BIG, 3);
    expect(await run.echo(1, big)).toEqual(big);
    await run.clock.runFor(1000);
    expect(probeSizes(run.clientTap)).toEqual([]);
    expect(fragmentSizes(run.clientTap, FrameType.REQUEST)).toEqual([1200]);
    expect(fragmentSizes(run.serverTap, FrameType.RESPONSE)).toEqual([1200]);
  });

  it('pathMtuDiscovery: false turns it off too', async () => {
    const run = await start({ seed: 3, client: { pathMtuDiscovery: false } });
    const big = payload(BIG, 4);
    expect(await run.echo(1, big)).toEqual(big);
    expect(probeSizes(run.clientTap)).toEqual([]);
    expect(fragmentSizes(run.clientTap, FrameType.REQUEST)).toEqual([1200]);
  });
});
