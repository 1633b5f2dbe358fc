// Black holes (protocol.md §7.5, RFC 8899 §4.3): the link's MTU drops while
// the client uses 65,507-byte datagrams, and nothing says so (no ICMP on the
// simulated network). The transfer's probes go unanswered; after
// BLACK_HOLE_PROBES of them the path falls back to the base size, the
// transfer starts over in small fragments at its call's next round, the
// receiver's reassembly restarts on the smaller fragments, and a new search
// finds the new size. A server that fell back on its own is noticed by the
// client (smaller reply fragments than its path carries), which probes its
// size again at once. Every call completes, each handler runs once.
import { afterEach, describe, expect, it } from 'vitest';
import { FrameType } from '@udprpc/core/wire';
import { RAISE_INTERVAL_MS } from '@udprpc/core/engine';
import { payload } from '../properties/sim-harness.js';
import { fragmentSizes, probeConfirmed, probeSizes, startPmtuRun, type PmtuRun } from './pmtu-harness.js';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

async function discovered(seed: number): Promise<PmtuRun> {
  const run = await startPmtuRun({ seed });
  closers.push(run.close);
  const small = payload(100, seed);
  expect(await run.echo(100, small)).toEqual(small);
  await run.clock.runFor(1000);
  expect(probeSizes(run.clientTap)).toEqual([1472, 8952, 65_507, 18]);
  return run;
}

// Generous timeouts: virtual time, but many datagrams on a loaded machine.
describe('a link whose MTU drops mid-run', { timeout: 120_000 }, () => {
  it('both ways to 1500: the client falls back, searches again (1472 found), and every call completes', async () => {
    const run = await discovered(1);
    const before = { probes: probeSizes(run.clientTap).length, client: run.clientTap.sent.length, server: run.serverTap.sent.length };
    run.setMtu(1500);
    for (let tag = 1; tag <= 3; tag++) {
      const data = payload(100_000, tag);
      expect(await run.echo(tag, data), `echo ${tag}`).toEqual(data);
      expect(run.runs.get(tag), `runs of ${tag}`).toBe(1);
    }
    // The first echo met the black hole: its request's probes and its call's
    // retransmission rounds went unanswered (BLACK_HOLE_PROBES of them, and
    // BLACK_HOLE_MIN_STALL_MS without progress: 4 probes and 3 rounds), the
    // path fell back to 1200 and a new search began; the next round started
    // the request over in the size found by then (1472). 8952 is being probed.
    let cs = run.client.stats();
    expect(cs.pmtuBlackHoles).toBe(1);
    expect(cs.retransmits).toBe(3);
    expect(cs.requestProbes).toBe(4);
    expect(run.server.stats().pmtuBlackHoles).toBe(0);
    expect(probeSizes(run.clientTap).slice(before.probes)).toEqual([1472, 8952, 8952]);
    expect(fragmentSizes(run.clientTap, FrameType.REQUEST, before.client)).toEqual([1472, 65_507]);
    // Replies: the new search's first probe told the server "nothing above the base".
    expect(fragmentSizes(run.serverTap, FrameType.RESPONSE, before.server)).toEqual([1200]);
    await run.clock.runFor(3000);
    // 8952 lost three times: the search ends at 1472, and reports it.
    expect(probeSizes(run.clientTap).slice(before.probes)).toEqual([1472, 8952, 8952, 8952, 18]);
    const later = { client: run.clientTap.sent.length, server: run.serverTap.sent.length };
    const data = payload(100_000, 9);
    expect(await run.echo(9, data)).toEqual(data);
    expect(fragmentSizes(run.clientTap, FrameType.REQUEST, later.client)).toEqual([1472]);
    expect(fragmentSizes(run.serverTap, FrameType.RESPONSE, later.server)).toEqual([1472]);
    cs = run.client.stats();
    expect(cs.pmtuBlackHoles).toBe(1);
    // The first window of 65,507-byte request fragments (0 and 1), eight
    // resends of them (the transfer's four probes, and the call's rounds
    // before the fallback), then three path probes of 8952.
    expect(run.net.stats().mtuDropped).toBe(13);
  });
  it('only the server to client direction: the server falls back for its replies, and every call completes', async () => {
    const run = await discovered(2);
    const before = { probes: probeSizes(run.clientTap).length, client: run.clientTap.sent.length, server: run.serverTap.sent.length };
    run.net.setLink(run.serverEp, run.clientEp, { delayMs: 1, mtu: 1500 });
    for (let tag = 1; tag <= 3; tag++) {
      const data = payload(100_000, tag);
      expect(await run.echo(tag, data), `echo ${tag}`).toEqual(data);
      expect(run.runs.get(tag), `runs of ${tag}`).toBe(1);
    }
    // The first reply met the black hole: after resends without progress
    // (the client's retransmissions), for BLACK_HOLE_MIN_STALL_MS, the server
    // fell back to 1200 and started the reply over at the client's next
    // transmission (its fourth). The client saw no black hole.
    expect(run.server.stats().pmtuBlackHoles).toBe(1);
    expect(run.client.stats().pmtuBlackHoles).toBe(0);
    expect(run.client.stats().retransmits).toBe(4);
    expect(fragmentSizes(run.serverTap, FrameType.RESPONSE, before.server)).toEqual([1200, 65_507]);
    expect(fragmentSizes(run.clientTap, FrameType.REQUEST, before.client)).toEqual([65_507]);
    // The client saw reply fragments of 1200 bytes while its path said
    // 65 507: it probes 65 507 again at once (claiming nothing meanwhile).
    expect(probeSizes(run.clientTap).slice(before.probes)).toEqual([65_507]);
    await run.clock.runFor(5000);
    // Three answers lost on the way back: a black hole at the client too; a
    // new search finds 1472 and reports it.
    expect(probeSizes(run.clientTap).slice(before.probes)).toEqual([65_507, 65_507, 65_507, 1472, 8952, 8952, 8952, 18]);
    expect(probeConfirmed(run.clientTap).slice(before.probes)).toEqual([0, 0, 0, 0, 1472, 1472, 1472, 1472]);
    expect(run.client.stats().pmtuBlackHoles).toBe(1);
    expect(run.server.stats().pmtuBlackHoles).toBe(1);
    let from = { client: run.clientTap.sent.length, server: run.serverTap.sent.length };
    const big = payload(100_000, 9);
    expect(await run.echo(9, big)).toEqual(big);
    expect(fragmentSizes(run.clientTap, FrameType.REQUEST, from.client)).toEqual([1472]);
    expect(fragmentSizes(run.serverTap, FrameType.RESPONSE, from.server)).toEqual([1472]);
    // The raise timer: the first call after 600 s re-confirms 1472 (claiming
    // nothing until answered), tries 8952 again, and reports 1472.
    await run.clock.runFor(RAISE_INTERVAL_MS);
    const raised = probeSizes(run.clientTap).length;
    const small = payload(100, 8);
    expect(await run.echo(8, small)).toEqual(small);
    await run.clock.runFor(5000);
    expect(probeSizes(run.clientTap).slice(raised)).toEqual([1472, 8952, 8952, 8952, 18]);
    expect(probeConfirmed(run.clientTap).slice(raised)).toEqual([0, 1472, 1472, 1472, 1472]);
    from = { client: run.clientTap.sent.length, server: run.serverTap.sent.length };
    expect(await run.echo(10, big)).toEqual(big);
    expect(fragmentSizes(run.serverTap, FrameType.RESPONSE, from.server)).toEqual([1472]);
    expect(run.client.stats().pmtuBlackHoles).toBe(1);
  });
});

// A receiver that stops reading for a while (a garbage collection, a busy
// event loop) leaves the sender's PTO probes unanswered just as a black hole
// does; on a sub-millisecond path a few milliseconds are several PTOs. Modelled
// here as a link whose delay jumps from 1 ms to 45 ms for one echo (a pause of
// about 90 ms per round trip): nothing is lost, so no size may fall back.
describe('a pause is no black hole', { timeout: 120_000 }, () => {
  it('a 90 ms stall without loss leaves both sides at 65,507 (BLACK_HOLE_MIN_STALL_MS)', async () => {
    const run = await discovered(3);
    const before = { client: run.clientTap.sent.length, server: run.serverTap.sent.length };
    run.net.setLinkBoth(run.clientEp, run.serverEp, { delayMs: 45 });
    const data = payload(300_000, 1);
    expect(await run.echo(1, data)).toEqual(data);
    expect(run.runs.get(1)).toBe(1);
    // The stall was seen (9 probes went unanswered) but each lasted less than
    // the minimum. Before it, two probes were enough to fall back to 1200, and
    // the rest of the message took 137 probes in 1200-byte fragments.
    expect(run.client.stats().requestProbes).toBe(9);
    expect(run.client.stats().pmtuBlackHoles).toBe(0);
    expect(run.server.stats().pmtuBlackHoles).toBe(0);
    expect(fragmentSizes(run.clientTap, FrameType.REQUEST, before.client)).toEqual([65_507]);
    expect(fragmentSizes(run.serverTap, FrameType.RESPONSE, before.server)).toEqual([65_507]);
    expect(run.net.stats().mtuDropped).toBe(0);
  });
});
