// Issue 18, first bullet, as a property on the simulated network: one of 3
// servers dies at a random time — cut off, its socket closed silently, or
// closed with ICMP refusals — under a random mix of idempotent and
// non-idempotent calls, with up to 10 % loss each way. Counted after the
// network has drained: no idempotent call fails, no non-idempotent call
// runs twice or is sent to two servers, nothing is left in flight.
//
// Replay a failure: fast-check prints `{ seed, path }`; set UDPRPC_FC_SEED.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { seeds } from '@udprpc/testkit';
import { runKill } from './kill-scenario.js';

const SEED = Number(process.env['UDPRPC_FC_SEED'] ?? 20_261_803);
const RUNS = Number(process.env['UDPRPC_FC_RUNS'] ?? 1);

describe('fast failover on a simulated network (fast-check)', () => {
  it('a server dies at a random time under random load and loss: 0 idempotent calls fail, 0 non-idempotent calls run twice', async () => {
    await fc.assert(
      fc.asyncProperty(
        seeds(),
        fc.constantFrom('partition' as const, 'close' as const, 'refuse' as const),
        fc.integer({ min: 0, max: 1500 }),
        fc.integer({ min: 0, max: 2 }),
        fc.double({ min: 0, max: 0.1, noNaN: true }),
        fc.integer({ min: 0, max: 300 }),
        fc.integer({ min: 15, max: 60 }),
        fc.array(fc.boolean(), { minLength: 1, maxLength: 8 }),
        async (seed, kill, killAtMs, victim, loss, handlerMs, everyMs, pattern) => {
          const run = await runKill({
            seed,
            kill,
            killAtMs,
            victim,
            handlerMs,
            everyMs,
            untilMs: 1500,
            link: { loss, delayMs: { min: 0.05, max: 0.2 } },
            idempotent: (i) => pattern[i % pattern.length]!,
          });
          const context = `seed ${seed}, ${kill} s${victim} at ${killAtMs} ms, loss ${loss}`;
          for (const c of run.calls) {
            if (c.idempotent) {
              expect(c, `idempotent call ${c.tag} (${context})`).toMatchObject({ ok: true });
            } else {
              expect(run.sim.runs.get(c.tag) ?? 0, `runs of non-idempotent call ${c.tag} (${context})`).toBeLessThanOrEqual(1);
              expect(run.sim.tap.destinations(c.tag).size, `servers non-idempotent call ${c.tag} was sent to (${context})`).toBe(1);
            }
          }
          expect(run.sim.net.stats().inFlight).toBe(0);
          expect(run.sim.client.stats()).toMatchObject({ inFlight: 0, queued: 0 });
          expect(run.sim.client.endpoints().every((e) => e.outstanding === 0)).toBe(true);
          await run.sim.close();
        },
      ),
      { numRuns: 25 * RUNS, seed: SEED },
    );
  }, 300_000);
});
