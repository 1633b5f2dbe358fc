// Issues 11.11 and 12.6: one datagram must not stop a client for good
// (protocol.md §6.3, "low-water release"). A span outside the valid range is
// ignored; no single REQUEST moves its session's mark past one beyond the
// highest id seen before it; and a client whose calls a server drops as
// stale hears so from its retransmission and starts a new session.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CodecId } from '@udprpc/core';
import { encodeMethodName, encodeRequestFrame, FrameType, type FrameHeader } from '@udprpc/core/wire';
import { settleAll } from '@udprpc/testkit';
import { msgpackCodec, RpcError } from 'udprpc';
import { useHardSim, type RawPeer } from '../hardening/harness.js';
import { startSimRun } from '../properties/sim-harness.js';

const SEED = Number(process.env['UDPRPC_FC_SEED'] ?? 20_261_111);
const RUNS = Number(process.env['UDPRPC_FC_RUNS'] ?? 1);
const start = useHardSim();
const ADD = encodeMethodName('hard.add');

/** A REQUEST for hard.add with an explicit in-flight span. */
function addWithSpan(h: Partial<FrameHeader> & { id: number }, span: number, a = 1): Uint8Array {
  return encodeRequestFrame({ type: FrameType.REQUEST, flags: 0, attempt: 0, session: 0xabcdef, ...h }, 5000, ADD, msgpackCodec.encode({ a, b: 1 }), span, undefined, CodecId.MSGPACK);
}

const answered = (peer: RawPeer, id: number) => peer.received.filter((f) => f.type === FrameType.RESPONSE && f.id === id).length;

describe('the low-water mark cannot be pushed ahead by one datagram', () => {
  it.each([0x8000_0000, 0xc000_0000, 0xffff_0000, 0xffff_fff0, 0xffff_fffe])('ignores the invalid in-flight span %d: the next ids still run (issue 12.6)', async (span) => {
    const sim = await start();
    const peer = await sim.raw();
    peer.send(addWithSpan({ id: 100 }, 0));
    peer.send(addWithSpan({ id: 120 }, 20)); // ids up to 120 seen: the bound on the mark alone would not save 105
    peer.send(addWithSpan({ id: 101 }, span)); // read as a mark of 101 + (2^32 − span), up to 117
    peer.send(addWithSpan({ id: 105 }, 5));
    await sim.clock.runFor(50);
    expect([100, 120, 101, 105].map((id) => answered(peer, id))).toEqual([1, 1, 1, 1]);
    expect(sim.server.stats().drops['duplicate']).toBeUndefined();
  });

  it('a forged (or bit-flipped) id far ahead with span 0 moves the mark at most one past the highest id seen: later calls run', async () => {
    const sim = await start();
    const peer = await sim.raw();
    peer.send(addWithSpan({ id: 100 }, 0));
    await sim.clock.runFor(10);
    peer.send(addWithSpan({ id: 100 + 0x4000_0000 }, 0)); // one bad datagram: its own id is the mark it asks for
    await sim.clock.runFor(10);
    for (let id = 101; id <= 105; id++) peer.send(addWithSpan({ id }, id - 101));
    await sim.clock.runFor(50);
    expect([101, 102, 103, 104, 105].map((id) => answered(peer, id))).toEqual([1, 1, 1, 1, 1]);
    expect(sim.server.stats().drops['duplicate']).toBeUndefined();
  });

  it('the real client keeps working after one forged datagram with its session and a far id', async () => {
    const sim = await start();
    const { client, stub, ep } = await sim.client();
    const [first] = await settleAll(sim.clock, [stub.add({ a: 1, b: 1 })]);
    expect(first).toEqual({ status: 'fulfilled', value: 2 });
    const session = sim.meter.received.find((r) => r.frame.type === FrameType.REQUEST)!.frame.session;
    const lastId = sim.meter.received.filter((r) => r.frame.type === FrameType.REQUEST).at(-1)!.frame.id;
    ep.send(addWithSpan({ id: (lastId + 0x1000_0000) >>> 0, session }, 0), sim.address);
    await sim.clock.runFor(10);
    const results = await settleAll(sim.clock, Array.from({ length: 5 }, (_, i) => stub.add({ a: i, b: 10 })));
    expect(results.map((r) => r.status === 'fulfilled' && r.value)).toEqual([10, 11, 12, 13, 14]);
    expect(client.stats().sessionsRenewed).toBe(0);
  });

  it('when the mark is pushed past its calls anyway, the client hears it from its retransmission (ABORTED, mayHaveRun) and starts a new session', async () => {
    const sim = await start();
    const { client, stub, ep } = await sim.client();
    await settleAll(sim.clock, [stub.add({ a: 1, b: 1 })]);
    const session = sim.meter.received.find((r) => r.frame.type === FrameType.REQUEST)!.frame.session;
    const lastId = sim.meter.received.filter((r) => r.frame.type === FrameType.REQUEST).at(-1)!.frame.id;
    // Two forged datagrams: the first raises the highest id seen by 1000, the second moves the mark there.
    const far = (lastId + 1000) >>> 0;
    ep.send(addWithSpan({ id: far, session }, 0), sim.address);
    ep.send(addWithSpan({ id: far, session, attempt: 1 }, 0), sim.address);
    await sim.clock.runFor(10);
    const [victim] = await settleAll(sim.clock, [stub.add({ a: 2, b: 2 })]);
    expect(victim.status).toBe('rejected');
    const e = (victim as PromiseRejectedResult).reason as unknown;
    expect(RpcError.is(e) && { code: e.code, remote: e.remote, mayHaveRun: e.mayHaveRun }).toEqual({ code: 'ABORTED', remote: true, mayHaveRun: true });
    expect(client.stats().sessionsRenewed).toBe(1);
    const results = await settleAll(sim.clock, Array.from({ length: 5 }, (_, i) => stub.add({ a: i, b: 20 })));
    expect(results.map((r) => r.status === 'fulfilled' && r.value)).toEqual([20, 21, 22, 23, 24]);
    const sessions = new Set(sim.meter.received.filter((r) => r.frame.type === FrameType.REQUEST && r.frame.id !== far).map((r) => r.frame.session));
    expect(sessions.size).toBe(2);
  });

  it('property: after bit flips on the way to the server stop, every call succeeds again (no permanent breakage)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 2 ** 31 - 1 }), fc.integer({ min: 2, max: 10 }), async (seed, percent) => {
        const run = await startSimRun({ seed, up: { delayMs: 1, corrupt: percent / 100 }, down: { delayMs: 1 } });
        const { clock, stub, net, clientEp, serverEp } = run;
        // 150 calls, 3 at a time, through the corrupting link; their outcomes do not matter.
        for (let round = 0; round < 50; round++) {
          await settleAll(clock, [0, 1, 2].map((k) => stub.add({ tag: 3 * round + k + 1, a: 1, b: 1, delayMs: 0 }, { timeoutMs: 2000 })), { maxTimeMs: 10_000 });
        }
        net.setLink(clientEp, serverEp, { delayMs: 1 });
        // One call may still fail (ABORTED) while the client learns that its session is stale.
        await settleAll(clock, [stub.add({ tag: 1000, a: 1, b: 1, delayMs: 0 })], { maxTimeMs: 10_000 });
        const after = await settleAll(clock, Array.from({ length: 10 }, (_, i) => stub.add({ tag: 2000 + i, a: i, b: 1, delayMs: 0 })), { maxTimeMs: 10_000 });
        expect(after.map((r) => r.status === 'fulfilled' && r.value)).toEqual(Array.from({ length: 10 }, (_, i) => ({ tag: 2000 + i, sum: i + 1 })));
        await run.client.close();
        await run.server.close();
      }),
      { numRuns: 20 * RUNS, seed: SEED },
    );
  });
});
