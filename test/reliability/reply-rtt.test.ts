// The server's reply timers read one RTT estimate per client address (issue
// 13; protocol.md §7.3 "Reply timers"): a second reply in fragments to the
// same client starts from the RTT the first one measured, not from the
// initial 200 ms PTO. The real client and server on a SimNetwork with a fixed
// one-way delay and a VirtualClock, so the times are exact.
import { describe, expect, it } from 'vitest';
import { Flag, FrameType } from '@udprpc/core/wire';
import { settleAll } from '@udprpc/testkit';
import { payload, startSimRun } from '../properties/sim-harness.js';

const D = 5; // one-way delay, ms

describe('reply transfers to one client share its RTT estimate', () => {
  it("the second reply's first probe comes one learned PTO (2D + 4D = 30 ms) after its fragments, not 200 ms", async () => {
    // Path MTU discovery off: every reply over 1176 bytes goes in 1200-byte datagrams.
    const run = await startSimRun({ seed: 13, client: { pathMtuDiscovery: false } });
    run.net.setLinkBoth(run.clientEp, run.serverEp, { delayMs: D });
    /** Every reply fragment the server sent, with when and its call's id. */
    const fragments: { at: number; id: number; index: number; ackRequested: boolean }[] = [];
    run.serverTap.filter = (frame) => {
      if (frame?.type === FrameType.RESPONSE && frame.fragment !== undefined) {
        fragments.push({ at: run.clock.now(), id: frame.id, index: frame.fragment.index, ackRequested: (frame.flags & Flag.ACK_REQUESTED) !== 0 });
      }
      return true;
    };
    const data = payload(1500, 1); // request and reply each in 2 fragments

    // First call: its 2 reply fragments leave together; the client acknowledges
    // them at once (the last asks for it), so the server's one sample is 2D:
    // SRTT 10, RTTVAR 5, PTO 10 + 20.
    const [first] = await settleAll(run.clock, [run.stub.blob({ tag: 1, data })]);
    expect(first.status).toBe('fulfilled');
    expect(fragments.map((f) => f.ackRequested)).toEqual([false, true]);
    const firstId = fragments[0]!.id;

    // Second call: the client's acks of its reply are lost, so the server probes.
    run.clientTap.filter = (frame) => !(frame?.type === FrameType.FRAGMENT_ACK && frame.id !== firstId);
    const second = run.stub.blob({ tag: 2, data });
    await run.clock.runFor(4 * D);
    const burst = fragments.filter((f) => f.id !== firstId);
    expect(burst).toHaveLength(2);
    const secondId = burst[0]!.id;
    expect(burst[1]!.at).toBe(burst[0]!.at);
    const [done] = await settleAll(run.clock, [second]);
    expect(done.status).toBe('fulfilled'); // the client has the whole reply; only its acks were lost
    await run.clock.runFor(300);
    const resent = fragments.filter((f) => f.id === secondId).slice(2);
    // Each reply with its own estimator (before): the first probe 200 ms after the burst.
    expect(resent[0]).toEqual({ at: burst[0]!.at + 30, id: secondId, index: 0, ackRequested: true });
    // And backing off from it: 30, then 2·30 and 4·30 ms after each probe (until 300 ms after the call).
    expect(resent.map((f) => f.at - burst[0]!.at)).toEqual([30, 90, 210]);
    expect(run.server.stats().replyProbes).toBe(3);
    expect(run.clientTap.dropped).toBeGreaterThanOrEqual(1);
    await run.client.close();
    await run.server.close();
  });
});
