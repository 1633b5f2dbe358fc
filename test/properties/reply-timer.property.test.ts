// Large replies over lossy links, with the server's own loss/probe timer for
// reply fragments (protocol.md §7.3 "Reply timers"): for any seed, loss up to
// 15 % each way, duplication, reordering and delay, and any 1200- or
// 65 507-byte datagram size, every call of a few large replies completes with
// exactly its own bytes, each handler runs once, and once the entries expire
// the server holds nothing and no timer is left (so no reply timer outlives
// its entry). Deadlines are long enough that no call may fail.
//
// Replay a failure: fast-check prints `{ seed, path }`; rerun with
// UDPRPC_FC_SEED=<seed> (or paste both into the fc.assert parameters).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { defaultDedupPolicy } from '@udprpc/core/engine';
import { asymmetricConditions, seeds, settleAll } from '@udprpc/testkit';
import { codeOf, payload, recordAt, sameBytes, startSimRun } from './sim-harness.js';

const SEED = Number(process.env['UDPRPC_FC_SEED'] ?? 20_261_125);
const RUNS = Number(process.env['UDPRPC_FC_RUNS'] ?? 1);
const TIMEOUT_MS = 30_000;

describe('large replies with the server reply timer (fast-check)', () => {
  it('over lossy links every large reply arrives exactly, the handler runs once, and nothing is left behind', async () => {
    const timer = { probes: 0, lossResends: 0 };
    await fc.assert(
      fc.asyncProperty(
        seeds(),
        asymmetricConditions({ maxLoss: 0.15, maxDuplicate: 0.1, maxDelayMs: 10, maxReorder: 0.1 }),
        fc.constantFrom(1200, 65_507),
        fc.array(fc.record({ size: fc.integer({ min: 2_000, max: 300_000 }), startAtMs: fc.integer({ min: 0, max: 200 }) }), {
          minLength: 1,
          maxLength: 3,
        }),
        async (seed, { up, down }, maxDatagramBytes, calls) => {
          const sizes = { maxDatagramBytes };
          const run = await startSimRun({ seed, up, down, server: sizes, client: sizes });
          const { clock, stub } = run;
          const inputs = calls.map((c, i) => payload(c.size, seed + i));
          const done = calls.map((c, i) =>
            recordAt(clock, c.startAtMs, i + 1, TIMEOUT_MS, () => stub.blob({ tag: i + 1, data: inputs[i]! }, { timeoutMs: TIMEOUT_MS })),
          );
          const settled = await settleAll(clock, done, { maxTimeMs: 2 * TIMEOUT_MS });
          settled.forEach((s, i) => {
            if (s.status === 'rejected') throw s.reason;
            const rec = s.value;
            expect(rec.error === undefined ? 'ok' : codeOf(rec.error), `call ${i + 1} (${calls[i]!.size} bytes)`).toBe('ok');
            const value = rec.value as { tag: number; data: Uint8Array };
            expect(value.tag).toBe(i + 1);
            expect(sameBytes(value.data, inputs[i]!), `call ${i + 1}: ${calls[i]!.size} bytes came back different`).toBe(true);
            expect(rec.settleCount).toBe(1);
          });
          expect(run.client.stats().inFlight).toBe(0);
          const ss0 = run.server.stats();
          timer.probes += ss0.replyProbes;
          timer.lossResends += ss0.replyLossResends;

          await clock.runFor(TIMEOUT_MS + defaultDedupPolicy.graceMs + 1_000);
          // Handler runs are counted once the network has drained (no late copy left to arrive).
          calls.forEach((_, i) => expect(run.executions.of(i + 1), `handler runs of call ${i + 1}`).toBe(1));
          const ss = run.server.stats();
          expect({ cacheEntries: ss.cacheEntries, cacheBytes: ss.cacheBytes, running: ss.running }).toEqual({ cacheEntries: 0, cacheBytes: 0, running: 0 });
          expect(clock.pendingTimers).toBe(0);
          expect(run.serverErrors).toEqual([]);
        },
      ),
      { numRuns: 60 * RUNS, seed: SEED },
    );
    // Not vacuous: the server's timer did recover fragments, both ways.
    expect(timer.probes).toBeGreaterThan(0);
    expect(timer.lossResends).toBeGreaterThan(0);
  });
});
