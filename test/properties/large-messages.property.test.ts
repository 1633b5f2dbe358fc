// Large messages: requests and replies of 0..200 KB are fragmented above the
// 1200-byte datagram size. Over loss up to 30 % each way, with duplication
// and reordering, each arrives exactly (byte for byte, to its own call) or the
// call fails with a typed RpcError; the handler runs at most once; and once
// the reassembly idle timeout and the cache lifetime have passed, the server
// holds no reassembly bytes, entries or timers.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FrameType } from '@udprpc/core/wire';
import { defaultDedupPolicy } from '@udprpc/core/engine';
import { asymmetricConditions, seeds, settleAll } from '@udprpc/testkit';
import { codeOf, payload, recordAt, sameBytes, startSimRun } from './sim-harness.js';

const SEED = Number(process.env['UDPRPC_FC_SEED'] ?? 20_260_301);
const RUNS = Number(process.env['UDPRPC_FC_RUNS'] ?? 1);
/** The longest deadline used; shorter ones cut transfers off half-way. */
const TIMEOUT_MS = 10_000;
/** Reassembly of an unfinished message is abandoned after this long without a new fragment (defaultReassemblyLimits). */
const REASSEMBLY_IDLE_MS = 10_000;

const size = fc.oneof(
  fc.integer({ min: 0, max: 2_000 }),
  fc.integer({ min: 2_000, max: 40_000 }),
  fc.integer({ min: 40_000, max: 200 * 1024 }),
);

describe('large messages on a lossy simulated network (fast-check)', () => {
  it('fragmented payloads (0..200 KB) arrive exactly or fail with a typed error; reassembly memory returns to 0', async () => {
    const outcomes = { ok: 0, failed: 0 };
    await fc.assert(
      fc.asyncProperty(
        seeds(),
        asymmetricConditions({ maxLoss: 0.3, maxDuplicate: 0.2, maxDelayMs: 20, maxReorder: 0.2 }),
        fc.array(
          fc.record({
            size,
            startAtMs: fc.integer({ min: 0, max: 500 }),
            timeoutMs: fc.oneof({ weight: 3, arbitrary: fc.constant(TIMEOUT_MS) }, { weight: 1, arbitrary: fc.integer({ min: 50, max: 2_000 }) }),
          }),
          { minLength: 1, maxLength: 3 },
        ),
        async (seed, { up, down }, calls) => {
          const run = await startSimRun({ seed, up, down });
          const { clock, stub } = run;
          const inputs = calls.map((c, i) => payload(c.size, seed + i));
          const done = calls.map((c, i) =>
            recordAt(clock, c.startAtMs, i + 1, c.timeoutMs, () => stub.blob({ tag: i + 1, data: inputs[i]! }, { timeoutMs: c.timeoutMs })),
          );
          const settled = await settleAll(clock, done, { maxTimeMs: 60_000 });
          settled.forEach((s, i) => {
            if (s.status === 'rejected') throw s.reason;
            const rec = s.value;
            expect(rec.settledAt! - rec.deadlineAt, `call ${i + 1} settled after its deadline`).toBeLessThanOrEqual(1);
            if (rec.error === undefined) {
              const value = rec.value as { tag: number; data: Uint8Array };
              expect(value.tag).toBe(i + 1);
              expect(sameBytes(value.data, inputs[i]!), `call ${i + 1}: ${calls[i]!.size} bytes came back different`).toBe(true);
              outcomes.ok++;
            } else {
              outcomes.failed++;
              expect(['DEADLINE_EXCEEDED', 'RESOURCE_EXHAUSTED', 'ABORTED']).toContain(codeOf(rec.error));
            }
          });
          expect(run.client.stats().inFlight).toBe(0);

          await clock.runFor(TIMEOUT_MS + defaultDedupPolicy.graceMs + REASSEMBLY_IDLE_MS + 1_000);
          // Handler runs are counted once the network has drained (no late copy left to arrive).
          calls.forEach((_, i) => expect(run.executions.of(i + 1), `handler runs of call ${i + 1}`).toBeLessThanOrEqual(1));
          const ss = run.server.stats();
          expect({ reassemblyBytes: ss.reassemblyBytes, cacheEntries: ss.cacheEntries, cacheBytes: ss.cacheBytes, running: ss.running }).toEqual({
            reassemblyBytes: 0, cacheEntries: 0, cacheBytes: 0, running: 0,
          });
          expect(clock.pendingTimers).toBe(0);
          expect(run.serverErrors).toEqual([]);
        },
      ),
      { numRuns: 100 * RUNS, seed: SEED },
    );
    expect(outcomes.ok).toBeGreaterThan(outcomes.failed); // not vacuous: most transfers complete
  });

  for (const half of ['request', 'reply'] as const) {
    it(`a 200 KB ${half} cut off half-way fails with DEADLINE_EXCEEDED, and its partial state is released`, async () => {
      const run = await startSimRun({ seed: 51, up: { delayMs: 2 }, down: { delayMs: 2 } });
      const tap = half === 'request' ? run.clientTap : run.serverTap;
      // Fragments from index 60 on never arrive (of the 200 KB message's ~175).
      tap.filter = (frame) => (frame?.fragment?.index ?? 0) < 60 || frame?.type !== (half === 'request' ? FrameType.REQUEST : FrameType.RESPONSE);
      const data = payload(200 * 1024, 7);
      const [r] = await settleAll(run.clock, [run.stub.blob({ tag: 1, data }, { timeoutMs: 2000 })]);
      expect((r as PromiseRejectedResult).reason).toMatchObject({ code: 'DEADLINE_EXCEEDED' });
      expect(run.clock.now()).toBe(2000);
      if (half === 'request') expect(run.server.stats().reassemblyBytes).toBeGreaterThan(0);

      await run.clock.runFor(2000 + defaultDedupPolicy.graceMs + REASSEMBLY_IDLE_MS + 1_000);
      expect(run.executions.of(1)).toBe(half === 'request' ? 0 : 1);
      const ss = run.server.stats();
      expect({ reassemblyBytes: ss.reassemblyBytes, cacheEntries: ss.cacheEntries, cacheBytes: ss.cacheBytes, running: ss.running }).toEqual({
        reassemblyBytes: 0, cacheEntries: 0, cacheBytes: 0, running: 0,
      });
      expect(run.client.stats().inFlight).toBe(0);
      expect(run.clock.pendingTimers).toBe(0);
    });
  }
});
