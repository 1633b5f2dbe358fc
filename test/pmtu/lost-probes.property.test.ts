// Lost path MTU probes never fail or delay calls (protocol.md §7.5): a probe
// is not a call, takes no retry-budget token, and its loss is no loss signal
// for anything else. Over links of a random MTU (1200 to 65,507) with random
// loss of probes and their answers (and some ordinary loss), every echo of a
// random size completes with its own bytes, each handler runs once, and the
// probes sent stay bounded (at most 3 per size and a report, per search).
//
// Replay a failure: fast-check prints `{ seed, path }`; rerun with
// UDPRPC_FC_SEED=<seed> (or paste both into the fc.assert parameters).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { seeds, settleAll } from '@udprpc/testkit';
import { codeOf, payload, recordAt } from '../properties/sim-harness.js';
import { isProbe, isProbeReply, probeSizes, startPmtuRun } from './pmtu-harness.js';

const SEED = Number(process.env['UDPRPC_FC_SEED'] ?? 20_261_203);
const RUNS = Number(process.env['UDPRPC_FC_RUNS'] ?? 4);
const TIMEOUT_MS = 20_000;

// Generous timeouts: virtual time, but many datagrams on a loaded machine.
describe('lost path MTU probes (fast-check)', { timeout: 120_000 }, () => {
  it('never fail a call: every echo completes exactly once, whatever probes are lost', async () => {
    await fc.assert(
      fc.asyncProperty(
        seeds(),
        fc.constantFrom(1200, 1400, 1500, 9000, 65_507),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 0.05, noNaN: true }),
        fc.array(fc.integer({ min: 10, max: 60_000 }), { minLength: 1, maxLength: 4 }),
        async (seed, mtu, probeLoss, loss, sizes) => {
          const run = await startPmtuRun({ seed, link: { mtu, loss } });
          try {
            let r = 0;
            const rand = (): number => {
              r = (r * 1_103_515_245 + 12_345 + seed) % 2_147_483_648;
              return r / 2_147_483_648;
            };
            let probesDropped = 0;
            const dropProbes = (f: Parameters<typeof run.clientTap.filter>[0]): boolean => {
              if (f === undefined || !(isProbe(f) || isProbeReply(f)) || rand() >= probeLoss) return true;
              probesDropped++;
              return false;
            };
            run.clientTap.filter = dropProbes;
            run.serverTap.filter = dropProbes;
            const inputs = sizes.map((n, i) => payload(n, seed + i));
            const done = inputs.map((data, i) => recordAt(run.clock, i * 50, i + 1, TIMEOUT_MS, () => run.stub.echo({ tag: i + 1, data }, { timeoutMs: TIMEOUT_MS })));
            const settled = await settleAll(run.clock, done, { maxTimeMs: 2 * TIMEOUT_MS });
            settled.forEach((s, i) => {
              if (s.status === 'rejected') throw s.reason;
              const rec = s.value;
              expect(rec.error === undefined ? 'ok' : codeOf(rec.error), `echo ${i + 1} (${sizes[i]} bytes, ${probesDropped} probes dropped)`).toBe('ok');
              expect(rec.value, `echo ${i + 1}`).toEqual({ tag: i + 1, data: inputs[i] });
              expect(rec.settleCount).toBe(1);
              expect(run.runs.get(i + 1), `runs of echo ${i + 1}`).toBe(1);
            });
            // Probes sent are bounded: at most 3 per size and the report, per search
            // (a black hole starts one more search).
            const cs = run.client.stats();
            expect(probeSizes(run.clientTap).length).toBeLessThanOrEqual(10 * (1 + cs.pmtuBlackHoles));
            expect(cs.inFlight).toBe(0);
          } finally {
            await run.close();
          }
        },
      ),
      { seed: SEED, numRuns: RUNS },
    );
  });
});
