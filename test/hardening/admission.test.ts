// Server admission control (issue 6): at most `maxRunning` handlers at once,
// at most `maxQueued` admitted calls waiting, and beyond both an ERROR
// RESOURCE_EXHAUSTED flagged REJECTED (0x08) with a retry-after hint, sent
// before anything about the call is remembered. The client honours the hint:
// it pauses that server and sends the call again, if its deadline allows.
import { describe, expect, it } from 'vitest';
import { Code } from '@udprpc/core';
import { Flag, FrameType, decodeErrorBody, type Frame } from '@udprpc/core/wire';
import { RpcError } from 'udprpc';
import { settleAll, type SimNetworkEvent } from '@udprpc/testkit';
import { framesOf, requestFrame, useHardSim } from './harness.js';

const start = useHardSim();

function codeOf(result: PromiseSettledResult<unknown>): string {
  if (result.status === 'fulfilled') return 'ok';
  return RpcError.is(result.reason) ? result.reason.code : `not an RpcError: ${String(result.reason)}`;
}

describe('server admission (admission.maxRunning / maxQueued)', () => {
  it('never runs more than maxRunning handlers; pushed-back calls still succeed, each handler running once', async () => {
    const sim = await start({ server: { admission: { maxRunning: 2, maxQueued: 3, retryAfterMs: 40 } } });
    const a = await sim.client();
    const b = await sim.client();
    const calls = [
      ...Array.from({ length: 12 }, (_, i) => a.stub.slow({ tag: i, ms: 30 }, { timeoutMs: 10_000 })),
      ...Array.from({ length: 12 }, (_, i) => b.stub.slow({ tag: 100 + i, ms: 30 }, { timeoutMs: 10_000 })),
    ];
    let settled = 0;
    for (const p of calls) p.then(() => settled++, () => settled++);
    let maxQueued = 0;
    let maxRunning = 0;
    await sim.clock.runUntil(
      () => {
        const s = sim.server.stats();
        maxQueued = Math.max(maxQueued, s.queued);
        maxRunning = Math.max(maxRunning, s.running);
        return settled === calls.length;
      },
      { maxTimeMs: 20_000 },
    );
    const results = await Promise.allSettled(calls);
    expect(results.map(codeOf)).toEqual(Array(24).fill('ok'));
    expect(sim.probe.maxRunning).toBe(2);
    expect(maxRunning).toBeLessThanOrEqual(2);
    expect(maxQueued).toBeLessThanOrEqual(3);
    expect(sim.probe.runs.size).toBe(24);
    expect([...sim.probe.runs.values()].every((n) => n === 1)).toBe(true);
    const stats = sim.server.stats();
    expect(stats.rejected).toBeGreaterThan(0);
    expect(stats.duplicatesRefused).toBe(0);
    expect(a.client.stats().pushbacks + b.client.stats().pushbacks).toBeGreaterThan(0);
    expect(stats).toMatchObject({ running: 0, queued: 0 });
    expect(a.client.stats()).toMatchObject({ inFlight: 0, queued: 0 });
  });

  it('a call whose deadline ends before the retry-after fails with a remote RESOURCE_EXHAUSTED carrying retryAfterMs', async () => {
    const sim = await start({ server: { admission: { maxRunning: 1, maxQueued: 0, retryAfterMs: 1000 } } });
    const { client, stub } = await sim.client();
    const busy = stub.slow({ tag: 1, ms: 300 });
    await sim.clock.runFor(5);
    const short = stub.slow({ tag: 2, ms: 1 }, { timeoutMs: 500 });
    const [rb, rs] = await settleAll(sim.clock, [busy, short]);
    expect(codeOf(rb)).toBe('ok');
    const e = rs.status === 'rejected' ? rs.reason : undefined;
    expect(RpcError.is(e) && { code: e.code, remote: e.remote, retryAfterMs: e.retryAfterMs }).toEqual({
      code: 'RESOURCE_EXHAUSTED',
      remote: true,
      retryAfterMs: 1000,
    });
    expect(sim.probe.of(2)).toBe(0);
    expect(client.stats().pushbacks).toBe(0);
    expect(sim.server.stats().rejected).toBe(1);
  });

  it('on the wire: the refusal is an ERROR with flag REJECTED (0x08), code RESOURCE_EXHAUSTED and the retry-after', async () => {
    const events: SimNetworkEvent[] = [];
    const sim = await start({ server: { admission: { maxRunning: 1, maxQueued: 1, retryAfterMs: 77 } }, onEvent: (e) => events.push(e) });
    const { stub } = await sim.client();
    const results = await settleAll(sim.clock, [1, 2, 3, 4].map((tag) => stub.slow({ tag, ms: 20 })));
    expect(results.map(codeOf)).toEqual(['ok', 'ok', 'ok', 'ok']);
    const toClient: Frame[] = [];
    for (const e of events) if (e.type === 'deliver' && e.from.address === 'server') toClient.push(...framesOf(e.bytes));
    const rejections = toClient.filter((f) => f.type === FrameType.ERROR && (f.flags & Flag.REJECTED) !== 0);
    expect(rejections.length).toBeGreaterThan(0);
    for (const f of rejections) {
      const body = decodeErrorBody(f.body);
      expect(body.ok && { code: body.value.code, retryAfterMs: body.value.retryAfterMs }).toEqual({
        code: Code.RESOURCE_EXHAUSTED,
        retryAfterMs: 77,
      });
    }
    // No other frame carries the flag.
    expect(toClient.filter((f) => f.type !== FrameType.ERROR && (f.flags & Flag.REJECTED) !== 0)).toEqual([]);
  });

  it('a refused request is not remembered: the same (session, id) sent again later runs normally', async () => {
    const sim = await start({ server: { admission: { maxRunning: 1, maxQueued: 1, retryAfterMs: 30 } } });
    const raw = await sim.raw();
    for (const id of [1, 2, 3]) raw.send(requestFrame({ id }, 'slow', { tag: id, ms: 50 }));
    await sim.clock.runFor(5);
    const refused = raw.received.filter((f) => f.type === FrameType.ERROR);
    expect(refused.map((f) => [f.id, f.flags])).toEqual([[3, Flag.REJECTED]]);
    expect(sim.server.stats()).toMatchObject({ rejected: 1, running: 1, queued: 1, cacheEntries: 2 });
    await sim.clock.runFor(200);
    raw.send(requestFrame({ id: 3 }, 'slow', { tag: 3, ms: 50 }));
    await sim.clock.runFor(200);
    expect(raw.received.filter((f) => f.type === FrameType.RESPONSE).map((f) => f.id)).toEqual([1, 2, 3]);
    expect([1, 2, 3].map((t) => sim.probe.of(t))).toEqual([1, 1, 1]);
  });

  it('a call waiting in the server queue past its deadline never runs', async () => {
    const sim = await start({ server: { admission: { maxRunning: 1, maxQueued: 4, retryAfterMs: 30 } } });
    const raw = await sim.raw();
    raw.send(requestFrame({ id: 1 }, 'slow', { tag: 1, ms: 500 }));
    raw.send(requestFrame({ id: 2 }, 'slow', { tag: 2, ms: 1 }, 100)); // expires while queued
    await sim.clock.runFor(5);
    expect(sim.server.stats()).toMatchObject({ running: 1, queued: 1 });
    await sim.clock.runFor(1000);
    expect(sim.probe.of(2)).toBe(0);
    expect(sim.server.stats().deadlineAborts).toBe(1);
    expect(raw.received.filter((f) => f.type === FrameType.RESPONSE).map((f) => f.id)).toEqual([1]);
  });

  it("a notification arriving while handlers and queue are full is dropped as 'overloaded'", async () => {
    const sim = await start({ server: { admission: { maxRunning: 1, maxQueued: 0, retryAfterMs: 30 } } });
    const raw = await sim.raw();
    raw.send(requestFrame({ id: 1 }, 'slow', { tag: 1, ms: 100 }));
    raw.send(requestFrame({ id: 2, flags: Flag.NO_REPLY }, 'slow', { tag: 2, ms: 1 }));
    await sim.clock.runFor(300);
    expect(sim.server.stats().drops).toMatchObject({ overloaded: 1 });
    expect(raw.received.filter((f) => f.id === 2)).toEqual([]);
    expect(sim.probe.of(2)).toBe(0);
  });
});

describe('regressions (found by these tests, fixed)', () => {
  // Fixed bug (packages/core/src/client/client-engine.ts, pushBack(), which then did
  // `call.id = this.ids.allocate(...)`): after a REJECTED pushback the client
  // sent the call again under a NEW message id. A copy of the call under its
  // OLD id that is still in the network (delayed or reordered: protocol.md
  // §6.3 promises suppression for copies up to graceMs late) then reaches the
  // server as a different key and runs the non-idempotent handler a second
  // time. The session low-water mark (in-flight span) only stops that copy
  // when no older call of the session is still in flight; here one is.
  // Reproduction: maxRunning 1, maxQueued 0. Call X is in flight but none of
  // its copies reach the server (held); call Z occupies the only slot; call
  // Y's first copy (attempt 0) is delayed, its retransmission (attempt 1) is
  // REJECTED, the client re-sends Y under a new id and it runs once Z is done;
  // the delayed attempt-0 copy of Y's old id then arrives (X is still in flight,
  // so the low-water mark is below it) and Y ran again. The fix: a
  // pushed-back call is re-sent under the SAME id (the server remembered nothing
  // about it, and any late copy is then a duplicate of the same key).
  it('a call pushed back by REJECTED runs at most once even when an older copy arrives late', async () => {
    const sim = await start({ server: { admission: { maxRunning: 1, maxQueued: 0, retryAfterMs: 50 } } });
    const { stub } = await sim.client();
    const ids: number[] = []; // in arrival order: X, Z, Y
    let heldY = 0;
    sim.meter.hold = (frame) => {
      if (frame.type !== FrameType.REQUEST) return false;
      if (!ids.includes(frame.id)) ids.push(frame.id);
      if (frame.id === ids[0]) return true; // X never arrives
      if (frame.id === ids[2] && frame.attempt === 0 && heldY === 0) return ++heldY > 0;
      return false;
    };
    const x = stub.slow({ tag: 0, ms: 1 }, { timeoutMs: 5000 });
    x.catch(() => {});
    await sim.clock.runFor(2);
    const z = stub.slow({ tag: 1, ms: 300 }, { timeoutMs: 5000 });
    await sim.clock.runFor(2);
    const y = stub.slow({ tag: 2, ms: 10 }, { timeoutMs: 5000 });
    const [rz, ry] = await settleAll(sim.clock, [z, y]);
    expect([codeOf(rz), codeOf(ry), heldY]).toEqual(['ok', 'ok', 1]);
    expect(sim.server.stats().rejected).toBeGreaterThan(0);
    await sim.clock.runFor(500); // the late copy arrives ~1 s after it was sent: well inside graceMs
    expect(sim.meter.release((f) => f.id === ids[2])).toBe(1);
    await sim.clock.runFor(500);
    expect(sim.probe.of(2)).toBe(1); // before the fix: 2
    await settleAll(sim.clock, [x.catch(() => {})]);
  });
});
