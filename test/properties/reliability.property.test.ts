// Issue "Reliability proven on a simulated network": fast-check drives the
// REAL udprpc client and server (createClient/createServer with transport,
// peer, clock, random) over a seeded SimNetwork on a VirtualClock, for any
// seed, loss up to 30 % each way, duplication up to 20 %, reordering, delay,
// and any schedule of concurrent calls. See invariants.ts for what is checked.
//
// Replay a failure: fast-check prints `{ seed, path }`; rerun with
// UDPRPC_FC_SEED=<seed> (or paste both into the fc.assert parameters).
// Explore: UDPRPC_FC_RUNS=20 multiplies every numRuns.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { defaultRetryBudget } from '@udprpc/core/engine';
import { asymmetricConditions, callSchedule, netConditions, scheduleCalls, seeds, settleAll, type LinkConditions } from '@udprpc/testkit';
import { anyCall, checkRun, quickCall, startPlanned, TICK_MS, type PlannedCall } from './invariants.js';
import { codeOf, record, startSimRun, type SimRunOptions } from './sim-harness.js';

const SEED = Number(process.env['UDPRPC_FC_SEED'] ?? 20_260_101);
const RUNS = Number(process.env['UDPRPC_FC_RUNS'] ?? 1);
const MAX_DELAY_MS = 50;
/** Largest one-way time in the network: delay plus the reorder hold-back. */
const MAX_ONE_WAY_MS = 2 * MAX_DELAY_MS;
const link = { maxLoss: 0.3, maxDuplicate: 0.2, maxDelayMs: MAX_DELAY_MS, maxReorder: 0.2 };

async function runSchedule(options: SimRunOptions, schedule: { startAtMs: number; input: PlannedCall }[], allSucceed: boolean, alsoAllowed: readonly string[] = []) {
  const run = await startSimRun(options);
  const calls = scheduleCalls(run.clock, schedule, (plan, index) => startPlanned(run, plan, index + 1));
  const results = await settleAll(run.clock, calls, { maxTimeMs: 60_000 });
  const records = results.map((r) => {
    if (r.status === 'rejected') throw r.reason;
    return r.value;
  });
  return checkRun(run, schedule.map((s) => s.input), records, { allSucceed, maxOneWayMs: MAX_ONE_WAY_MS, alsoAllowed });
}

describe('reliability on a simulated lossy network (fast-check)', () => {
  it('properties 1–4, 6: every call settles once by its deadline with its own result or a typed error; at-most-once; nothing leaks; retransmits within budget', async () => {
    await fc.assert(
      fc.asyncProperty(seeds(), asymmetricConditions(link), callSchedule(anyCall, { maxCalls: 12, maxStartMs: 2000 }), async (seed, { up, down }, schedule) => {
        await runSchedule({ seed, up, down }, schedule, false);
      }),
      { numRuns: 3000 * RUNS, seed: SEED },
    );
    // 3000 simulated runs take ~10 s of CPU alone; the limit only guards a hang on a busy 2-core CI machine.
  }, 120_000);

  // Requests and replies may both be duplicated: a network duplicate of an
  // evicted call's first copy must not run it again (a fixed engine finding,
  // test/reliability/eviction-duplicates.test.ts).
  it('property 2 under reply-cache pressure: with a dedup cap of a few entries, evicted calls are refused with ABORTED, never run twice', async () => {
    await fc.assert(
      fc.asyncProperty(
        seeds(),
        netConditions(link),
        netConditions(link),
        fc.integer({ min: 640, max: 6400 }), // 1 to 10 entries of 600 bytes (ENTRY_OVERHEAD_BYTES) + reply
        callSchedule(anyCall, { minCalls: 5, maxCalls: 20, maxStartMs: 1000 }),
        async (seed, up, down, maxBytes, schedule) => {
          await runSchedule({ seed, up, down, server: { dedup: { maxBytes } } }, schedule, false, ['ABORTED']);
        },
      ),
      { numRuns: 1000 * RUNS, seed: SEED + 5 },
    );
  });

  // Property 5 for handlers that answer at once, and (below) for handlers of
  // up to 50 ms, whose copies may find them running and be ACKed: after an
  // ACK the client probes from one RTO up, so a lost reply is asked for again
  // quickly (a fixed engine finding, test/reliability/ack-probe.test.ts).
  const instant = quickCall.map((c) => ({ ...c, delayMs: 0 }));

  it('property 5: with loss below 30 %, duplication, reordering and delay, 5 s calls to handlers that answer at once all succeed', async () => {
    await fc.assert(
      fc.asyncProperty(seeds(), asymmetricConditions(link), callSchedule(instant, { maxCalls: 12, maxStartMs: 2000 }), async (seed, { up, down }, schedule) => {
        await runSchedule({ seed, up, down }, schedule, true);
      }),
      { numRuns: 1500 * RUNS, seed: SEED + 1 },
    );
  }, 120_000);

  it('property 5 with handlers of up to 50 ms: every 5 s call succeeds', async () => {
    await fc.assert(
      fc.asyncProperty(seeds(), asymmetricConditions(link), callSchedule(quickCall, { maxCalls: 12, maxStartMs: 2000 }), async (seed, { up, down }, schedule) => {
        await runSchedule({ seed, up, down }, schedule, true);
      }),
      { numRuns: 1500 * RUNS, seed: SEED + 11 },
    );
  }, 120_000);

  it('property 5 at the limit: 29.9 % loss and 20 % duplication each way, 40 concurrent calls', async () => {
    const worst: LinkConditions = { loss: 0.299, duplicate: 0.2, delayMs: { min: 0, max: MAX_DELAY_MS }, reorder: 0.2, reorderDelayMs: MAX_DELAY_MS };
    await fc.assert(
      fc.asyncProperty(seeds(), callSchedule(instant, { minCalls: 40, maxCalls: 40, maxStartMs: 1000 }), async (seed, schedule) => {
        const totals = await runSchedule({ seed, up: worst, down: worst }, schedule, true);
        expect(totals.successes).toBe(40);
      }),
      { numRuns: 150 * RUNS, seed: SEED + 3 },
    );
  }, 120_000);

  it('property 6 where the budget binds: against a dead server, retransmits <= burst + ratio·calls + minPerSecond·seconds', async () => {
    const budgets = fc.record({
      ratio: fc.integer({ min: 0, max: 30 }).map((n) => n / 10),
      burst: fc.integer({ min: 0, max: 30 }),
      minPerSecond: fc.integer({ min: 0, max: 10 }),
    });
    const deadCall = fc.record({ startAtMs: fc.integer({ min: 0, max: 3000 }), timeoutMs: fc.integer({ min: 100, max: 20_000 }) });
    await fc.assert(
      fc.asyncProperty(seeds(), fc.option(budgets, { nil: undefined }), fc.array(deadCall, { minLength: 1, maxLength: 40 }), async (seed, budget, calls) => {
        const run = await startSimRun({ seed, up: { loss: 1 }, ...(budget === undefined ? {} : { client: { retryBudget: budget } }) });
        const { clock } = run;
        const done = calls.map(
          (c, i) =>
            new Promise<ReturnType<typeof record>['rec']>((resolve) =>
              clock.setTimer(c.startAtMs, () => void record(clock, i + 1, c.timeoutMs, () => run.stub.add({ tag: i + 1, a: 1, b: 1, delayMs: 0 }, { timeoutMs: c.timeoutMs })).done.then(resolve)),
            ),
        );
        const settled = await settleAll(clock, done, { maxTimeMs: 60_000 });
        for (const s of settled) {
          if (s.status === 'rejected') throw s.reason;
          const rec = s.value;
          // UNAVAILABLE once 64 copies went unanswered; DEADLINE_EXCEEDED otherwise.
          expect(['DEADLINE_EXCEEDED', 'UNAVAILABLE']).toContain(codeOf(rec.error));
          expect(rec.settledAt! - rec.deadlineAt).toBeLessThanOrEqual(TICK_MS);
        }
        const { burst, ratio, minPerSecond } = { ...defaultRetryBudget, ...budget };
        const cs = run.client.stats();
        expect(cs.retransmits).toBeLessThanOrEqual(burst + ratio * calls.length + minPerSecond * (clock.now() / 1000));
        expect(cs.retransmits).toBe(cs.retryBudget.spent);
        expect(cs.inFlight).toBe(0);
        await clock.runAll({ maxTimeMs: 60_000 });
        expect(clock.pendingTimers).toBe(0);
      }),
      { numRuns: 500 * RUNS, seed: SEED + 4 },
    );
  });
});
