// Large requests with the client's own loss/probe timer for request fragments
// (protocol.md §7.3 "Request timers", packages/core/src/client/request-transfer.ts).
//
// 1. Over lossy links (loss up to 15 % each way, duplication, reordering,
//    delay), for 1200- and 65 507-byte datagrams, every call of a few large
//    requests completes with exactly its own bytes, each handler runs once,
//    and once the entries expire nothing is left: no call, no timer.
// 2. The timer is what recovers a lost tail: on fixed 1 ms links where any
//    set of request fragments loses its first copy (and nothing else is
//    lost), the request still completes without the call's retransmission
//    timer ever firing — no retransmission round, no budget token spent.
//    Without the transfer timer, a lost tail waits for that timer.
//
// Replay a failure: fast-check prints `{ seed, path }`; rerun with
// UDPRPC_FC_SEED=<seed> (or paste both into the fc.assert parameters).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FrameType } from '@udprpc/core/wire';
import { defaultDedupPolicy } from '@udprpc/core/engine';
import { asymmetricConditions, createRandom, seeds, settleAll } from '@udprpc/testkit';
import { codeOf, recordAt } from './sim-harness.js';
import { checksum, payload, startUploadRun } from './upload-harness.js';

const SEED = Number(process.env['UDPRPC_FC_SEED'] ?? 20_261_126);
const RUNS = Number(process.env['UDPRPC_FC_RUNS'] ?? 1);
const TIMEOUT_MS = 30_000;

describe('large requests with the client request timer (fast-check)', () => {
  it('over lossy links every large request arrives exactly, the handler runs once, and nothing is left behind', async () => {
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
          const run = await startUploadRun({ seed, up, down, maxDatagramBytes });
          const { clock, stub } = run;
          const inputs = calls.map((c, i) => payload(c.size, seed + i));
          const done = calls.map((c, i) =>
            recordAt(clock, c.startAtMs, i + 1, TIMEOUT_MS, () => stub.upload({ tag: i + 1, data: inputs[i]!, ms: 0 }, { timeoutMs: TIMEOUT_MS })),
          );
          const settled = await settleAll(clock, done, { maxTimeMs: 2 * TIMEOUT_MS });
          settled.forEach((s, i) => {
            if (s.status === 'rejected') throw s.reason;
            const rec = s.value;
            expect(rec.error === undefined ? 'ok' : codeOf(rec.error), `call ${i + 1} (${calls[i]!.size} bytes)`).toBe('ok');
            expect(rec.value, `call ${i + 1}: what the server received`).toEqual({ tag: i + 1, length: inputs[i]!.length, sum: checksum(inputs[i]!) });
            expect(rec.settleCount).toBe(1);
            expect(run.runs.get(i + 1), `handler runs of call ${i + 1}`).toBe(1);
          });
          const cs = run.client.stats();
          expect(cs.inFlight).toBe(0);
          timer.probes += cs.requestProbes;
          timer.lossResends += cs.requestLossResends;

          await clock.runFor(TIMEOUT_MS + defaultDedupPolicy.graceMs + 11_000);
          const ss = run.server.stats();
          expect({ cacheEntries: ss.cacheEntries, cacheBytes: ss.cacheBytes, running: ss.running }).toEqual({ cacheEntries: 0, cacheBytes: 0, running: 0 });
          expect(clock.pendingTimers).toBe(0);
          expect(run.serverErrors).toEqual([]);
          await run.close();
        },
      ),
      { numRuns: 40 * RUNS, seed: SEED },
    );
    // Not vacuous: the client's timer did recover fragments, both ways.
    expect(timer.probes).toBeGreaterThan(0);
    expect(timer.lossResends).toBeGreaterThan(0);
  });

  it('first copies of request fragments lost, nothing else: the transfer timer recovers them all, the call timer never fires', async () => {
    await fc.assert(
      fc.asyncProperty(
        seeds(),
        fc.constantFrom(1200, 65_507),
        fc.integer({ min: 2_000, max: 300_000 }),
        // Which first copies are lost: each with probability `rate`, plus the last `tail` fragments.
        fc.record({ rate: fc.integer({ min: 0, max: 500 }).map((n) => n / 1000), tail: fc.integer({ min: 0, max: 4 }) }),
        async (seed, maxDatagramBytes, size, loss) => {
          const run = await startUploadRun({ seed, maxDatagramBytes });
          const { clock, stub } = run;
          // A known peer, as for every call but a client's first: the transfer timer starts from its SRTT.
          await settleAll(clock, [stub.upload({ tag: 0, data: payload(maxDatagramBytes + 1, seed), ms: 0 })]);
          const random = createRandom(seed);
          const copies = new Set<number>();
          run.clientTap.filter = (frame) => {
            if (frame?.type !== FrameType.REQUEST || frame.fragment === undefined) return true;
            const { index, totalBytes, fragmentBytes } = frame.fragment;
            const count = Math.ceil(totalBytes / fragmentBytes);
            if (copies.has(index)) return true;
            copies.add(index);
            return !(index >= count - loss.tail || random() < loss.rate);
          };
          const before = run.client.stats();
          const data = payload(size, seed + 1);
          const [r] = await settleAll(clock, [stub.upload({ tag: 1, data, ms: 0 }, { timeoutMs: TIMEOUT_MS })]);
          if (r!.status === 'rejected') throw r.reason;
          expect(r!.value).toEqual({ tag: 1, length: size, sum: checksum(data) });
          expect(run.runs.get(1), 'handler runs').toBe(1);
          const after = run.client.stats();
          expect({ retransmits: after.retransmits - before.retransmits, spent: after.retryBudget.spent - before.retryBudget.spent }).toEqual({ retransmits: 0, spent: 0 });
          await run.close();
        },
      ),
      { numRuns: 60 * RUNS, seed: SEED },
    );
  });
});
