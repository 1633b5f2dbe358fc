// Issue 11.10, as properties: refusals (ERROR flagged REJECTED, protocol.md
// §8.1) under small admission limits, refused request fragments, and
// REJECTED errors that the network duplicates, delays or corrupts. fast-check
// drives the REAL client and server (createClient/createServer) over a seeded
// SimNetwork on a VirtualClock. Handler runs are counted only once the
// network has fully drained, so a late copy that ran a call twice is caught.
//
// Replay a failure: fast-check prints `{ seed, path }`; rerun with
// UDPRPC_FC_SEED=<seed> (or paste both into the fc.assert parameters).
// Explore: UDPRPC_FC_RUNS=20 multiplies every numRuns.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Flag, FrameType, HEADER_BYTES } from '@udprpc/core/wire';
import { defaultDedupPolicy, defaultReassemblyLimits } from '@udprpc/core/engine';
import { callSchedule, createRandom, deriveSeed, netConditions, scheduleCalls, seeds, settleAll } from '@udprpc/testkit';
import { codeOf, payload, record, sameBytes, startSimRun, type CallRecord, type SimRun } from './sim-harness.js';

const SEED = Number(process.env['UDPRPC_FC_SEED'] ?? 20_261_110);
const RUNS = Number(process.env['UDPRPC_FC_RUNS'] ?? 1);
const MAX_DELAY_MS = 20;
/** Extra copies of a REJECTED arrive up to this much later than the original. */
const MAX_COPY_DELAY_MS = 60;
/** Requests above this many bytes travel in fragments (the client's datagram size). */
const DATAGRAM_BYTES = 300;

/** One planned call: an at-most-once `add` (slow or not), or an at-most-once `blob` in fragments. */
interface Planned {
  readonly kind: 'add' | 'blob';
  readonly delayMs: number;
  readonly bytes: number;
  readonly timeoutMs: number;
}

const planned: fc.Arbitrary<Planned> = fc.record({
  kind: fc.constantFrom('add', 'add', 'blob'),
  delayMs: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 150 })),
  bytes: fc.integer({ min: 200, max: 2000 }),
  timeoutMs: fc.oneof(fc.constant(3000), fc.integer({ min: 50, max: 3000 })),
});

/** What the network does to each REJECTED the server sends, besides delivering it. */
interface RejectedFaults {
  /** Probability of 1–3 extra copies, each delayed 0–MAX_COPY_DELAY_MS. */
  readonly duplicate: number;
  /** Probability of one extra copy with a bit flipped in its attempt, id, flags or retry-after. */
  readonly corrupt: number;
}

const faults: fc.Arbitrary<RejectedFaults> = fc.record({
  duplicate: fc.integer({ min: 0, max: 100 }).map((n) => n / 100),
  corrupt: fc.integer({ min: 0, max: 50 }).map((n) => n / 100),
});

const limits = fc.record({
  maxRunning: fc.integer({ min: 1, max: 3 }),
  maxQueued: fc.integer({ min: 0, max: 2 }),
  retryAfterMs: fc.integer({ min: 2, max: 80 }),
  /** Partial requests the server reassembles per client: more are refused fragment by fragment. */
  maxPeerMessages: fc.integer({ min: 1, max: 2 }),
});

/** Bytes of a REJECTED frame where a flipped bit still leaves a frame the client parses. */
function corruptible(frame: Uint8Array, random: () => number): number {
  const fields = [4, 5, 10, 11, 12, 13, HEADER_BYTES + 1, HEADER_BYTES + 2, HEADER_BYTES + 3, HEADER_BYTES + 4];
  return fields[Math.floor(random() * fields.length)]!;
}

/**
 * Makes the network duplicate and corrupt the REJECTED errors the server
 * sends (on top of the link's own conditions). Returns the counts of what it added.
 */
function injectRejectedFaults(run: SimRun, f: RejectedFaults, seed: number) {
  const random = createRandom(deriveSeed(seed, 'rejected-faults'));
  const added = { copies: 0, corrupted: 0 };
  const inner = run.serverTap.inner;
  run.serverTap.filter = (frame, bytes, to) => {
    if (frame?.type !== FrameType.ERROR || (frame.flags & Flag.REJECTED) === 0) return true;
    if (random() < f.duplicate) {
      const n = 1 + Math.floor(random() * 3);
      for (let i = 0; i < n; i++) {
        added.copies++;
        const copy = bytes.slice();
        run.clock.setTimer(Math.floor(random() * MAX_COPY_DELAY_MS), () => inner.send(copy, to));
      }
    }
    if (random() < f.corrupt) {
      added.corrupted++;
      const copy = bytes.slice();
      const at = corruptible(copy, random);
      copy[at]! ^= 1 << Math.floor(random() * 8);
      run.clock.setTimer(Math.floor(random() * MAX_COPY_DELAY_MS), () => inner.send(copy, to));
    }
    return true;
  };
  return added;
}

function start(run: SimRun, plan: Planned, tag: number): Promise<CallRecord> {
  const options = { timeoutMs: plan.timeoutMs };
  if (plan.kind === 'add') return record(run.clock, tag, plan.timeoutMs, () => run.stub.add({ tag, a: tag, b: 1, delayMs: plan.delayMs }, options)).done;
  return record(run.clock, tag, plan.timeoutMs, () => run.stub.blob({ tag, data: payload(plan.bytes, tag) }, options)).done;
}

describe('pushback under refusals (fast-check, issue 11.10)', () => {
  it('small admission and reassembly limits, REJECTED duplicated, delayed and corrupted: at most once, every call settles, every counter back to 0', async () => {
    await fc.assert(
      fc.asyncProperty(
        seeds(),
        limits,
        faults,
        netConditions({ maxLoss: 0.1, maxDuplicate: 0.2, maxDelayMs: MAX_DELAY_MS, maxReorder: 0.2 }),
        callSchedule(planned, { minCalls: 2, maxCalls: 10, maxStartMs: 400 }),
        async (seed, l, f, link, schedule) => {
          const run = await startSimRun({
            seed,
            up: link,
            down: link,
            server: {
              admission: { maxRunning: l.maxRunning, maxQueued: l.maxQueued, retryAfterMs: l.retryAfterMs },
              reassembly: { maxPeerMessages: l.maxPeerMessages },
            },
            client: { maxDatagramBytes: DATAGRAM_BYTES },
          });
          const added = injectRejectedFaults(run, f, seed);
          const calls = scheduleCalls(run.clock, schedule, (plan, i) => start(run, plan, i + 1));
          const results = await settleAll(run.clock, calls, { maxTimeMs: 60_000 });
          const records = results.map((r) => {
            if (r.status === 'rejected') throw r.reason;
            return r.value;
          });

          // Drain everything: the last deadline, copies still in the network,
          // the server's grace for finished calls and its idle timeout for
          // partial requests (refused calls may leave some fragments behind).
          const lastDeadline = Math.max(0, ...records.map((r) => r.deadlineAt));
          const linger = Math.max(defaultDedupPolicy.graceMs, defaultReassemblyLimits.idleTimeoutMs);
          await run.clock.runUntil(lastDeadline + 2 * (MAX_DELAY_MS + MAX_COPY_DELAY_MS) + linger + 10);
          expect(run.net.stats().inFlight, 'datagrams still in the network').toBe(0);

          records.forEach((rec, i) => {
            const plan = schedule[i]!.input;
            const ran = run.executions.of(rec.tag);
            expect(rec.settleCount, `call ${rec.tag} settle count`).toBe(1);
            expect(rec.settledAt! - rec.deadlineAt, `call ${rec.tag} settled after its deadline`).toBeLessThanOrEqual(1);
            expect(ran, `call ${rec.tag} (${plan.kind}) ran ${ran} times`).toBeLessThanOrEqual(1);
            if (rec.error === undefined) {
              expect(ran, `call ${rec.tag} succeeded without running`).toBe(1);
              if (plan.kind === 'add') expect(rec.value).toEqual({ tag: rec.tag, sum: rec.tag + 1 });
              else {
                const value = rec.value as { tag: number; data: Uint8Array };
                expect(value.tag).toBe(rec.tag);
                expect(sameBytes(value.data, payload(plan.bytes, rec.tag)), `blob ${rec.tag} came back altered`).toBe(true);
              }
            } else {
              // A corrupted retry-after or flag may fail a call early; nothing else may.
              expect(['DEADLINE_EXCEEDED', 'RESOURCE_EXHAUSTED', 'UNAVAILABLE'], `call ${rec.tag}: ${String(rec.error)}`).toContain(codeOf(rec.error));
            }
          });

          const cs = run.client.stats();
          expect(cs.responses + cs.errors + cs.timeouts + cs.cancelled).toBe(cs.calls);
          expect({ inFlight: cs.inFlight, queued: cs.queued, window: cs.window }).toEqual({ inFlight: 0, queued: 0, window: { inFlight: 0, queued: 0 } });
          // Each refusal the server sent is acted on at most once; a corrupted copy may name another call once.
          const ss = run.server.stats();
          expect(cs.pushbacks).toBeLessThanOrEqual(ss.rejected + ss.reassemblyRefused + added.corrupted);
          expect({ running: ss.running, queued: ss.queued, cacheEntries: ss.cacheEntries, cacheBytes: ss.cacheBytes, reassemblyBytes: ss.reassemblyBytes }).toEqual({
            running: 0, queued: 0, cacheEntries: 0, cacheBytes: 0, reassemblyBytes: 0,
          });
          expect(run.serverErrors).toEqual([]);
          await run.client.close();
          await run.server.close();
        },
      ),
      { numRuns: 300 * RUNS, seed: SEED },
    );
  });
});
