// The long variant: >= 100,000 simulated calls through the real client and
// server, in batches of independent runs (each its own seed, conditions and
// schedule, drawn from the same arbitraries as the properties), with every
// safety invariant checked on every run and the totals printed at the end.
//
//   UDPRPC_LONG=1 npx vitest run test/properties/long-run.test.ts
//
// Optional: UDPRPC_LONG_CALLS (default 100000), UDPRPC_LONG_SEED.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { asymmetricConditions, callSchedule, scheduleCalls, seeds, settleAll } from '@udprpc/testkit';
import { anyCall, checkRun, isQuick, quickCall, startPlanned, type PlannedCall, type RunTotals } from './invariants.js';
import { startSimRun } from './sim-harness.js';

const LONG = process.env['UDPRPC_LONG'] === '1';
const TARGET_CALLS = Number(process.env['UDPRPC_LONG_CALLS'] ?? 100_000);
const SEED = Number(process.env['UDPRPC_LONG_SEED'] ?? 7_777);
const BATCH_RUNS = 200;
const MAX_DELAY_MS = 50;

// Even batches: any mix of calls (slow, short-lived, cancelled, one-way);
// odd batches: only calls that property 5 promises will succeed.
const runArb = (calls: fc.Arbitrary<PlannedCall>) =>
  fc.tuple(
    seeds(),
    asymmetricConditions({ maxLoss: 0.3, maxDuplicate: 0.2, maxDelayMs: MAX_DELAY_MS, maxReorder: 0.2 }),
    callSchedule(calls, { minCalls: 5, maxCalls: 30, maxStartMs: 3000 }),
  );

describe.skipIf(!LONG)('long run: >= 100,000 simulated calls (UDPRPC_LONG=1)', () => {
  it(
    'keeps every safety invariant; prints the totals',
    async () => {
      const totals: RunTotals = {
        calls: 0, successes: 0, failures: {}, notifications: 0, notificationsRun: 0,
        retransmits: 0, duplicatesSuppressed: 0, idempotentReruns: 0, quickFailures: 0, quickFailuresAfterAck: 0, maxLatenessMs: -Infinity,
      };
      let quickCalls = 0;
      let runs = 0;
      const started = performance.now();
      for (let batch = 0; totals.calls < TARGET_CALLS; batch++) {
        if (batch > 10_000) throw new Error('long run: too many batches'); // bounded
        for (const [seed, { up, down }, schedule] of fc.sample(runArb(batch % 2 === 0 ? anyCall : quickCall), { numRuns: BATCH_RUNS, seed: SEED + batch })) {
          runs++;
          const run = await startSimRun({ seed, up, down });
          const calls = scheduleCalls(run.clock, schedule, (plan, index) => startPlanned(run, plan, index + 1));
          const settled = await settleAll(run.clock, calls, { maxTimeMs: 120_000 });
          const records = settled.map((r) => {
            if (r.status === 'rejected') throw r.reason;
            return r.value;
          });
          const plans = schedule.map((s) => s.input);
          let t: RunTotals;
          try {
            t = await checkRun(run, plans, records, { allSucceed: false, maxOneWayMs: 2 * MAX_DELAY_MS });
          } catch (error) {
            throw new Error(`long run: invariant broken in batch ${batch} (sample seed ${SEED + batch}), run seed ${seed}, ${JSON.stringify({ up, down, schedule })}`, { cause: error });
          }
          quickCalls += plans.filter(isQuick).length;
          totals.calls += t.calls;
          totals.successes += t.successes;
          for (const [code, n] of Object.entries(t.failures)) totals.failures[code] = (totals.failures[code] ?? 0) + n;
          totals.notifications += t.notifications;
          totals.notificationsRun += t.notificationsRun;
          totals.retransmits += t.retransmits;
          totals.duplicatesSuppressed += t.duplicatesSuppressed;
          totals.idempotentReruns += t.idempotentReruns;
          totals.quickFailures += t.quickFailures;
          totals.quickFailuresAfterAck += t.quickFailuresAfterAck;
          totals.maxLatenessMs = Math.max(totals.maxLatenessMs, t.maxLatenessMs);
        }
      }
      const seconds = (performance.now() - started) / 1000;
      console.log(
        `udprpc long run (seed ${SEED}): ${runs} runs, ${totals.calls} calls in ${seconds.toFixed(1)} s\n` +
          JSON.stringify({ ...totals, quickCalls, quickFailureRate: totals.quickFailures / quickCalls }, null, 2),
      );
      expect(totals.calls).toBeGreaterThanOrEqual(TARGET_CALLS);
    },
    30 * 60_000,
  );
});
