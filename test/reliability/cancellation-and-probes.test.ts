// Cancellation (protocol.md §6.4) and the post-ACK probe rate (§7.2), with the
// real client and server on a simulated network and a virtual clock.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { defaultRetryPolicy } from '@udprpc/core';
import { FrameType } from '@udprpc/core/wire';
import { seeds, settleAll } from '@udprpc/testkit';
import { RpcError } from 'udprpc';
import { startSimRun } from '../properties/sim-harness.js';

const link = { delayMs: 1 };

describe('cancellation', () => {
  it('aborting the signal rejects at once with CANCELLED, sends one CANCEL, and aborts the handler’s ctx.signal', async () => {
    const run = await startSimRun({ seed: 21, up: link, down: link });
    const ac = new AbortController();
    run.clock.setTimer(500, () => ac.abort());
    const [r] = await settleAll(run.clock, [run.stub.add({ tag: 1, a: 1, b: 1, delayMs: 2000 }, { signal: ac.signal })]);

    expect(run.clock.now()).toBe(500);
    expect(r.status).toBe('rejected');
    const error = (r as PromiseRejectedResult).reason as unknown;
    expect(RpcError.is(error) && { code: error.code, remote: error.remote }).toEqual({ code: 'CANCELLED', remote: false });

    await run.clock.runFor(100);
    expect(run.clientTap.count(FrameType.CANCEL)).toBe(1);
    expect(run.executions.aborted.get(1)).toBe('CANCELLED');
    const ss = run.server.stats();
    expect({ cancelled: ss.cancelled, running: ss.running, cacheEntries: ss.cacheEntries }).toEqual({ cancelled: 1, running: 0, cacheEntries: 1 });

    // A copy of the request still in the network cannot start the call again.
    const firstRequest = run.clientTap.sentBytes[run.clientTap.sent.findIndex((f) => f.type === FrameType.REQUEST)]!;
    run.clientTap.inner.send(firstRequest, run.serverEp.address);
    await run.clock.runFor(10);
    expect(run.server.stats().drops['cancelled-call']).toBe(1);
    expect(run.executions.of(1)).toBe(1);
    expect(run.serverTap.count(FrameType.RESPONSE) + run.serverTap.count(FrameType.ERROR)).toBe(0);

    // The cancelled entry is kept until its deadline + grace, then forgotten.
    await run.clock.runFor(5000 + 2000);
    expect(run.server.stats().cacheEntries).toBe(0);
    expect(run.clock.pendingTimers).toBe(0);
  });

  it('an already-aborted signal rejects without sending anything', async () => {
    const run = await startSimRun({ seed: 22, up: link, down: link });
    const ac = new AbortController();
    ac.abort();
    const [r] = await settleAll(run.clock, [run.stub.add({ tag: 1, a: 1, b: 1, delayMs: 0 }, { signal: ac.signal })]);
    expect(r.status).toBe('rejected');
    expect(run.clientTap.sent).toEqual([]);
    expect(run.executions.of(1)).toBe(0);
  });

  it('at the deadline the call fails with DEADLINE_EXCEEDED exactly on time, one CANCEL goes out, and the handler is aborted', async () => {
    const run = await startSimRun({ seed: 23, up: link, down: link });
    const [r] = await settleAll(run.clock, [run.stub.add({ tag: 1, a: 1, b: 1, delayMs: 2000 }, { timeoutMs: 300 })]);
    expect(run.clock.now()).toBe(300);
    expect((r as PromiseRejectedResult).reason).toMatchObject({ code: 'DEADLINE_EXCEEDED', remote: false });
    await run.clock.runFor(50);
    expect(run.clientTap.count(FrameType.CANCEL)).toBe(1);
    expect(['CANCELLED', 'DEADLINE_EXCEEDED']).toContain(run.executions.aborted.get(1));
    expect(run.server.stats().running).toBe(0);
  });
});

describe('a long handler does not cause a retransmission storm', () => {
  it('property: while a 5–8 s handler runs (15 s deadline), the client probes at a gap doubling up to ackedProbeIntervalMs, not at the RTO pace', async () => {
    const { ackedProbeIntervalMs, jitterRatio, maxBackoffMs } = defaultRetryPolicy;
    await fc.assert(
      fc.asyncProperty(seeds(), fc.integer({ min: 5000, max: 8000 }), async (seed, handlerMs) => {
        const run = await startSimRun({ seed, up: link, down: link });
        const [r] = await settleAll(run.clock, [run.stub.add({ tag: 1, a: 2, b: 3, delayMs: handlerMs }, { timeoutMs: 15_000 })]);
        expect(r).toEqual({ status: 'fulfilled', value: { tag: 1, sum: 5 } });
        expect(run.executions.of(1)).toBe(1);

        const requests = run.clientTap.count(FrameType.REQUEST);
        const acks = run.serverTap.count(FrameType.ACK);
        // The first copy, one retransmission at the initial RTO (answered by
        // ACK), then probes whose gap doubles from the RTO (200 ms for a new
        // peer, 30 ms at the floor) to ackedProbeIntervalMs — at most 6
        // doublings, ~1.9 s — and then one
        // per 0.8–1.2 × ackedProbeIntervalMs.
        const fastest = ackedProbeIntervalMs * (1 - jitterRatio);
        expect(requests).toBeLessThanOrEqual(2 + 6 + Math.ceil(handlerMs / fastest));
        expect(requests).toBeGreaterThanOrEqual(3);
        // Every copy but the first found it running — except possibly the last,
        // which may cross the reply and be answered from the cache.
        expect(acks).toBeGreaterThanOrEqual(requests - 2);
        expect(acks).toBeLessThanOrEqual(requests - 1);
        // Retransmitting at the RTO (≤ 250 ms gaps) would have sent at least this many:
        expect(requests).toBeLessThan(2 + Math.floor(handlerMs / (maxBackoffMs * (1 + jitterRatio))));
        expect(run.server.stats().duplicatesInProgress).toBe(acks);
      }),
      { numRuns: 100, seed: 20_260_201 },
    );
  });
});
