// The reliability invariants, checked after a simulated run: every call
// settles once by its deadline with the right value or a typed error,
// at-most-once handlers (counted after the network has drained), no leftover
// state, and retransmissions within the retry budget. Shared by the fast-check properties and the long run.
import fc from 'fast-check';
import { expect } from 'vitest';
import { FrameType } from '@udprpc/core/wire';
import { defaultDedupPolicy, defaultRetryBudget } from '@udprpc/core/engine';
import { codeOf, record, type CallRecord, type SimRun } from './sim-harness.js';

/** One planned logical call. `tag` is unique within a run. */
export interface PlannedCall {
  readonly kind: 'add' | 'echo' | 'note';
  readonly delayMs: number;
  readonly timeoutMs: number;
  /** Abort the call's signal this long after it starts. */
  readonly cancelAfterMs: number | undefined;
}

/** A mix of at-most-once, idempotent and one-way calls; some slow, some short-lived, some cancelled. */
export const anyCall: fc.Arbitrary<PlannedCall> = fc.record({
  kind: fc.constantFrom('add', 'add', 'echo', 'note'),
  delayMs: fc.oneof(
    { weight: 3, arbitrary: fc.constant(0) },
    { weight: 3, arbitrary: fc.integer({ min: 1, max: 50 }) },
    { weight: 1, arbitrary: fc.integer({ min: 51, max: 3000 }) },
  ),
  timeoutMs: fc.oneof({ weight: 4, arbitrary: fc.constant(5000) }, { weight: 1, arbitrary: fc.integer({ min: 20, max: 3000 }) }),
  cancelAfterMs: fc.option(fc.integer({ min: 0, max: 3000 }), { freq: 6, nil: undefined }),
});

/** The calls property 5 is about: 5 s deadlines, handlers of at most 50 ms, no cancellation. */
export const quickCall: fc.Arbitrary<PlannedCall> = fc.record({
  kind: fc.constantFrom('add', 'echo'),
  delayMs: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 50 })),
  timeoutMs: fc.constant(5000),
  cancelAfterMs: fc.constant(undefined),
});

/** Inputs of `add` for tag `t`: unique per tag, so a crossed reply is caught. */
const addends = (tag: number) => ({ a: tag * 1_000_003, b: tag * 7 + 1 });

/** Starts one planned call (now); resolves with its record once it settles. */
export function startPlanned(run: SimRun, plan: PlannedCall, tag: number): Promise<CallRecord> {
  const { clock, stub } = run;
  if (plan.kind === 'note') {
    return record(clock, tag, plan.timeoutMs, () => stub.note.notify({ tag })).done;
  }
  let signal: AbortSignal | undefined;
  let abortTimer: { cancel(): void } | undefined;
  if (plan.cancelAfterMs !== undefined) {
    const ac = new AbortController();
    signal = ac.signal;
    abortTimer = clock.setTimer(plan.cancelAfterMs, () => ac.abort());
  }
  const options = { timeoutMs: plan.timeoutMs, ...(signal === undefined ? {} : { signal }) };
  const { done } = record(clock, tag, plan.timeoutMs, () =>
    plan.kind === 'add'
      ? run.stub.add({ tag, ...addends(tag), delayMs: plan.delayMs }, options)
      : run.stub.echo({ tag, delayMs: plan.delayMs }, options),
  );
  // The test's own abort timer is not the engine's to clean up.
  return done.finally(() => abortTimer?.cancel());
}

/** What one run contributed to the totals of the long run. */
export interface RunTotals {
  calls: number;
  successes: number;
  failures: Record<string, number>;
  notifications: number;
  notificationsRun: number;
  retransmits: number;
  duplicatesSuppressed: number;
  idempotentReruns: number;
  /** Calls that property 5 says must succeed (5 s, handler ≤ 50 ms, not cancelled) but failed. */
  quickFailures: number;
  /** ...of which the server had ACKed (the slow-probe finding, test/reliability/ack-probe.test.ts). */
  quickFailuresAfterAck: number;
  maxLatenessMs: number;
}

/** Whether property 5 promises this call succeeds. */
export const isQuick = (p: PlannedCall): boolean =>
  p.kind !== 'note' && p.timeoutMs >= 5000 && p.delayMs <= 50 && p.cancelAfterMs === undefined;

/** Largest allowed gap between a call's deadline and its settling: one timer tick. */
export const TICK_MS = 1;

/**
 * Checks invariants 1–4 and 6 (and 5 when `allSucceed`) on a finished run;
 * `maxOneWayMs` bounds a datagram's time in the network (delay + reorder).
 */
export async function checkRun(
  run: SimRun,
  plans: readonly PlannedCall[],
  records: readonly CallRecord[],
  options: { allSucceed: boolean; maxOneWayMs: number; alsoAllowed?: readonly string[] },
): Promise<RunTotals> {
  const { clock, client, server, executions } = run;
  const totals: RunTotals = {
    calls: 0, successes: 0, failures: {}, notifications: 0, notificationsRun: 0,
    retransmits: 0, duplicatesSuppressed: 0, idempotentReruns: 0, quickFailures: 0, quickFailuresAfterAck: 0, maxLatenessMs: -Infinity,
  };
  const settledAt = clock.now();
  // Handler runs are counted only once the network has drained: a delayed or
  // duplicated copy still in flight when the last call settles may yet reach
  // the server and run a handler again. Past every entry's lifetime (deadline
  // + the longest one-way time there and back + grace), nothing that was sent
  // can still arrive or start anything.
  const lastDeadline = Math.max(0, ...records.map((r) => r.deadlineAt));
  await clock.runUntil(Math.max(clock.now(), lastDeadline + 2 * options.maxOneWayMs + defaultDedupPolicy.graceMs + 10));
  records.forEach((rec, i) => {
    const plan = plans[i]!;
    const ran = executions.of(rec.tag);
    // 1. settled exactly once, by its deadline (+ one tick).
    expect(rec.settleCount, `call ${rec.tag} settle count`).toBe(1);
    if (plan.kind === 'note') {
      totals.notifications++;
      totals.notificationsRun += ran;
      expect(rec.error, `notify ${rec.tag}`).toBeUndefined();
      expect(ran, `notification ${rec.tag} ran more than once`).toBeLessThanOrEqual(1);
      return;
    }
    totals.calls++;
    const lateness = rec.settledAt! - rec.deadlineAt;
    totals.maxLatenessMs = Math.max(totals.maxLatenessMs, lateness);
    expect(lateness, `call ${rec.tag} settled ${lateness} ms after its deadline`).toBeLessThanOrEqual(TICK_MS);
    if (rec.error === undefined) {
      totals.successes++;
      // 3. its own result, never another call's.
      if (plan.kind === 'add') expect(rec.value, `add ${rec.tag}`).toEqual({ tag: rec.tag, sum: 1_000_003 * rec.tag + 7 * rec.tag + 1 });
      else expect(rec.value, `echo ${rec.tag}`).toBe(rec.tag);
      expect(ran, `call ${rec.tag} succeeded without its handler running`).toBeGreaterThanOrEqual(1);
    } else {
      const code = codeOf(rec.error);
      totals.failures[code] = (totals.failures[code] ?? 0) + 1;
      if (isQuick(plan)) {
        totals.quickFailures++;
        const id = executions.idOf.get(rec.tag);
        if (id !== undefined && run.serverTap.sent.some((f) => f.type === FrameType.ACK && f.id === id)) totals.quickFailuresAfterAck++;
      }
      const allowed = ['DEADLINE_EXCEEDED', ...(plan.cancelAfterMs === undefined ? [] : ['CANCELLED']), ...(options.alsoAllowed ?? [])];
      expect(allowed, `call ${rec.tag} failed with ${code}: ${String(rec.error)}`).toContain(code);
      if (code === 'CANCELLED') expect(rec.settledAt! - rec.startAt).toBe(plan.cancelAfterMs);
    }
    // 2. at most once for at-most-once methods; never two runs at a time for any.
    if (plan.kind === 'add') expect(ran, `add ${rec.tag} ran ${ran} times`).toBeLessThanOrEqual(1);
    else totals.idempotentReruns += Math.max(0, ran - 1);
    expect(executions.overlapping.has(rec.tag), `call ${rec.tag} ran twice at once`).toBe(false);
    // 5.
    if (options.allSucceed) expect(rec.error, `call ${rec.tag} (${plan.kind}, ${plan.delayMs} ms handler) failed`).toBeUndefined();
  });

  // 1 (engine view): every call the engine started ended exactly once.
  const cs = client.stats();
  expect(cs.inFlight).toBe(0);
  expect(cs.responses + cs.errors + cs.timeouts + cs.cancelled).toBe(cs.calls);
  expect(cs.calls).toBe(totals.calls);

  // 6. retransmissions within the retry budget, and REQUEST datagrams within (1 + ratio)·N + burst + minPerSecond·t.
  const elapsedS = settledAt / 1000;
  const { burst, ratio, minPerSecond } = defaultRetryBudget;
  const budget = burst + ratio * cs.calls + minPerSecond * elapsedS;
  expect(cs.retransmits, 'retransmits above the retry budget').toBeLessThanOrEqual(budget);
  const requests = run.clientTap.sent.filter((f) => f.type === FrameType.REQUEST).length - totals.notifications;
  expect(requests, 'REQUEST datagrams above the budget bound').toBeLessThanOrEqual(cs.calls + budget);
  totals.retransmits = cs.retransmits;

  // 4. once every entry's lifetime (deadline + one-way delay + grace) has passed (drained above), nothing is left.
  const ss = server.stats();
  expect(client.stats().inFlight).toBe(0);
  expect({ cacheEntries: ss.cacheEntries, cacheBytes: ss.cacheBytes, running: ss.running, queued: ss.queued, reassemblyBytes: ss.reassemblyBytes }).toEqual({
    cacheEntries: 0, cacheBytes: 0, running: 0, queued: 0, reassemblyBytes: 0,
  });
  expect(clock.pendingTimers, 'timers left after every entry expired').toBe(0);
  expect(run.serverErrors).toEqual([]);
  totals.duplicatesSuppressed = ss.duplicatesInProgress + ss.duplicatesReplayed + ss.duplicatesRefused + (ss.drops['cancelled-call'] ?? 0) + (ss.drops['duplicate'] ?? 0);
  return totals;
}
