// Black holes (protocol.md §7.5, RFC 8899 §4.3): the link's MTU drops while
// the client uses 65,507-byte datagrams, and nothing says so (no ICMP on the
// simulated network). The transfer's probes go unanswered; after
// BLACK_HOLE_PROBES of them the path falls back to the base size, the
// transfer starts over in small fragments at its call's next round, the
// receiver's reassembly restarts on the smaller fragments, and a new search
// finds the new size. Every call completes, each handler runs once.
import { afterEach, describe, expect, it } from 'vitest';
import { FrameType } from '@udprpc/core';
import { payload } from '../properties/sim-harness.js';
import { fragmentSizes, probeSizes, startPmtuRun, type PmtuRun } from './pmtu-harness.js';

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

describe('a link whose MTU drops mid-run', () => {
  it('both ways to 1500: the client falls back, searches again (1472 found), and every call completes', async () => {
    const run = await discovered(1);
    const before = { probes: probeSizes(run.clientTap).length, client: run.clientTap.sent.length, server: run.serverTap.sent.length };
    run.setMtu(1500);
    for (let tag = 1; tag <= 4; tag++) {
      const data = payload(300_000, tag);
      expect(await run.echo(tag, data), `echo ${tag}`).toEqual(data);
      expect(run.runs.get(tag), `runs of ${tag}`).toBe(1);
    }
    const cs = run.client.stats();
    const ss = run.server.stats();
    console.log(JSON.stringify({ cs: { bh: cs.pmtuBlackHoles, probes: cs.pmtuProbes, lost: cs.pmtuProbesLost, retx: cs.retransmits, rp: cs.requestProbes }, ss: { bh: ss.pmtuBlackHoles }, newProbes: probeSizes(run.clientTap).slice(before.probes), req: fragmentSizes(run.clientTap, FrameType.REQUEST, before.client), rep: fragmentSizes(run.serverTap, FrameType.RESPONSE, before.server), mtu: run.net.stats().mtuDropped }));
  });
  it('only the server to client direction: the server falls back for its replies, and every call completes', async () => {
    const run = await discovered(2);
    const before = { probes: probeSizes(run.clientTap).length, client: run.clientTap.sent.length, server: run.serverTap.sent.length };
    run.net.setLink(run.serverEp, run.clientEp, { delayMs: 1, mtu: 1500 });
    for (let tag = 1; tag <= 4; tag++) {
      const data = payload(300_000, tag);
      expect(await run.echo(tag, data), `echo ${tag}`).toEqual(data);
      expect(run.runs.get(tag), `runs of ${tag}`).toBe(1);
    }
    const cs = run.client.stats();
    const ss = run.server.stats();
    console.log(JSON.stringify({ cs: { bh: cs.pmtuBlackHoles, probes: cs.pmtuProbes, lost: cs.pmtuProbesLost, retx: cs.retransmits }, ss: { bh: ss.pmtuBlackHoles }, newProbes: probeSizes(run.clientTap).slice(before.probes), req: fragmentSizes(run.clientTap, FrameType.REQUEST, before.client), rep: fragmentSizes(run.serverTap, FrameType.RESPONSE, before.server), mtu: run.net.stats().mtuDropped }));
  });
});
