// Regression tests for an engine finding, now fixed (property 2, at-most-once): after the byte cap evicts a
// finished call's entry, a NETWORK DUPLICATE of that call's first copy
// (attempt 0) ran the handler a second time. The server refused only
// retransmissions (attempt > 0) after an eviction, on the reasoning that
// "first transmissions are never refused, because nothing can have run them
// before" (protocol.md §6.3) — but UDP may deliver a datagram twice, and
// with frame coalescing one duplicated datagram carries every request of a
// turn. Notifications (always attempt 0) ran twice the same way. A first copy
// that the network delays past its own retransmission, completion and
// eviction is a third path (reordering).
//
// Found by the property "property 2 under reply-cache pressure" in
// test/properties/reliability.property.test.ts with request duplication on,
// e.g. UDPRPC_FC_SEED=401 UDPRPC_FC_RUNS=5: run seed 0, up { duplicate 0.014,
// delay 0 }, dedup.maxBytes 200, five calls at t=0 → "add 3 ran 2 times";
// UDPRPC_FC_SEED=402: "notification 3 ran more than once". The low-water
// release does not help while an older call of the session is still in flight.
//
// Where it was: packages/core/src/server/server-engine.ts (now request-intake.ts) startCall(): the ABORTED refusal
// required `frame.attempt > 0 && !noReply`. The fix: each session remembers
// the highest evicted id (SessionState.evictedUpTo; ids are sequential), and
// any copy of a call up to it that finds no entry is refused (calls) or
// dropped (notifications), whatever its attempt number.
import { describe, expect, it } from 'vitest';
import { FrameType } from '@udprpc/core/wire';
import { settleAll } from '@udprpc/testkit';
import { startSimRun, type SimRun } from '../properties/sim-harness.js';

const link = { delayMs: 1 };

/** The bytes of the first copy (attempt 0) of message `id`, as the client sent it: what a network duplicate delivers. */
function duplicateOf(run: SimRun, id: number): Uint8Array {
  const index = run.clientTap.sent.findIndex((f) => f.type === FrameType.REQUEST && f.id === id && f.attempt === 0);
  expect(index).toBeGreaterThanOrEqual(0);
  return run.clientTap.sentBytes[index]!;
}

/**
 * A slow call keeps the session's low-water mark down; then two quick calls
 * finish, and the second one's reply pushes the first out of a cache that
 * holds one finished entry beside the running one.
 */
async function evictOne(run: SimRun, first: () => Promise<unknown>): Promise<number> {
  void run.stub.add({ tag: 100, a: 0, b: 0, delayMs: 2000 }).catch(() => {});
  await run.clock.runFor(5);
  const done = first();
  await run.clock.flushMicrotasks();
  const id = run.clientTap.sent.filter((f) => f.type === FrameType.REQUEST).at(-1)!.id;
  await settleAll(run.clock, [done]);
  expect(run.server.stats().cacheEvictions).toBe(0);
  await settleAll(run.clock, [run.stub.add({ tag: 2, a: 2, b: 2, delayMs: 0 })]);
  expect(run.server.stats().cacheEvictions).toBe(1);
  return id;
}

describe('byte-cap eviction and network duplicates (engine finding)', () => {
  it('regression: a network duplicate of an evicted at-most-once call does not run its handler again', async () => {
    const run = await startSimRun({ seed: 61, up: link, down: link, server: { dedup: { maxBytes: 1300 } } });
    const id = await evictOne(run, () => run.stub.add({ tag: 1, a: 1, b: 1, delayMs: 0 }));
    expect(run.executions.of(1)).toBe(1);
    run.clientTap.inner.send(duplicateOf(run, id), run.serverEp.address);
    await run.clock.runFor(10);
    // Before the fix: 2 — and the client, which had moved on, dropped the second reply.
    expect(run.executions.of(1)).toBe(1);
  });

  it('regression: a network duplicate of an evicted notification does not run it again', async () => {
    const run = await startSimRun({ seed: 62, up: link, down: link, server: { dedup: { maxBytes: 1300 } } });
    const id = await evictOne(run, () => run.stub.note.notify({ tag: 1 }));
    expect(run.executions.of(1)).toBe(1);
    run.clientTap.inner.send(duplicateOf(run, id), run.serverEp.address);
    await run.clock.runFor(10);
    expect(run.executions.of(1)).toBe(1); // before the fix: 2
  });

  it('control: a retransmission (attempt > 0) of an evicted call is refused with ABORTED', async () => {
    const run = await startSimRun({ seed: 63, up: link, down: link, server: { dedup: { maxBytes: 1300 } } });
    const id = await evictOne(run, () => run.stub.add({ tag: 1, a: 1, b: 1, delayMs: 0 }));
    const copy = duplicateOf(run, id).slice();
    copy[5] = 1; // the attempt byte (protocol.md §3.1): a retransmission
    run.clientTap.inner.send(copy, run.serverEp.address);
    await run.clock.runFor(10);
    expect(run.executions.of(1)).toBe(1);
    expect(run.server.stats().duplicatesRefused).toBe(1);
    expect(run.serverTap.sent.filter((f) => f.type === FrameType.ERROR && f.id === id)).toHaveLength(1);
  });
});
