// Early loss detection for calls (protocol.md §7.2) under fast-check: dense
// windows of concurrent calls over lossy, duplicating and reordering links,
// so that calls are declared lost (and some spuriously: reordered replies,
// slow handlers) while later ones complete. The invariants of invariants.ts
// hold after the network has drained: every call settles once by its
// deadline with its own result or a typed error, at-most-once handlers,
// nothing left behind, retransmissions within the retry budget.
//
// Replay a failure: fast-check prints `{ seed, path }`; rerun with
// UDPRPC_FC_SEED=<seed> (or paste both into the fc.assert parameters).
// Explore: UDPRPC_FC_RUNS=20 multiplies every numRuns.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { asymmetricConditions, callSchedule, scheduleCalls, seeds, settleAll } from '@udprpc/testkit';
import { anyCall, checkRun, quickCall, startPlanned, type PlannedCall } from './invariants.js';
import { startSimRun, type SimRunOptions } from './sim-harness.js';

const SEED = Number(process.env['UDPRPC_FC_SEED'] ?? 20_261_203);
const RUNS = Number(process.env['UDPRPC_FC_RUNS'] ?? 1);
const MAX_DELAY_MS = 10;
/** Largest one-way time in the network: delay plus the reorder hold-back. */
const MAX_ONE_WAY_MS = 2 * MAX_DELAY_MS;
/** Short delays and heavy reordering: replies overtake each other, so some losses are spurious. */
const link = { maxLoss: 0.3, maxDuplicate: 0.2, maxDelayMs: MAX_DELAY_MS, maxReorder: 0.3 };

async function runWindow(options: SimRunOptions, schedule: { startAtMs: number; input: PlannedCall }[], allSucceed: boolean) {
  const run = await startSimRun(options);
  const calls = scheduleCalls(run.clock, schedule, (plan, index) => startPlanned(run, plan, index + 1));
  const results = await settleAll(run.clock, calls, { maxTimeMs: 60_000 });
  const records = results.map((r) => {
    if (r.status === 'rejected') throw r.reason;
    return r.value;
  });
  const stats = run.client.stats();
  await checkRun(run, schedule.map((s) => s.input), records, { allSucceed, maxOneWayMs: MAX_ONE_WAY_MS });
  // Early retransmissions are retransmissions: counted in, and paid from, the same budget.
  expect(stats.lossRetransmits).toBeLessThanOrEqual(stats.retransmits);
  expect(stats.retransmits).toBe(stats.retryBudget.spent);
  return stats.lossRetransmits;
}

describe('early loss detection on a simulated lossy network (fast-check)', () => {
  it('windows of up to 40 calls of every kind: each settles once, at-most-once after drain, retransmits within budget', async () => {
    let early = 0;
    await fc.assert(
      fc.asyncProperty(seeds(), asymmetricConditions(link), callSchedule(anyCall, { minCalls: 5, maxCalls: 40, maxStartMs: 30 }), async (seed, { up, down }, schedule) => {
        early += await runWindow({ seed, up, down }, schedule, false);
      }),
      { numRuns: 300 * RUNS, seed: SEED },
    );
    // The property is about the early path: it must have been taken.
    expect(early).toBeGreaterThan(0);
  }, 60_000 * RUNS);

  it('windows of up to 40 calls to handlers of at most 50 ms, 5 s deadlines: all succeed', async () => {
    let early = 0;
    await fc.assert(
      fc.asyncProperty(seeds(), asymmetricConditions(link), callSchedule(quickCall, { minCalls: 5, maxCalls: 40, maxStartMs: 30 }), async (seed, { up, down }, schedule) => {
        early += await runWindow({ seed, up, down }, schedule, true);
      }),
      { numRuns: 300 * RUNS, seed: SEED + 1 },
    );
    expect(early).toBeGreaterThan(0);
  }, 60_000 * RUNS);
});
