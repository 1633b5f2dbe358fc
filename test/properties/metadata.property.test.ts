// Call metadata over a lossy simulated network (protocol.md §5.8): with loss
// up to 30 % each way, duplication and reordering, request and reply
// metadata of any valid shape (strings and bytes, some big enough to push
// the request or the reply into fragments) survive every call exactly: the
// handler sees the request metadata the caller gave each time it runs (at
// most once), and a call that succeeds gets back, through onReplyMetadata,
// exactly the reply metadata the handler set, also when the reply came from
// the server's cache for a retransmission. A call that fails does so with a
// typed RpcError. Counted after the network has drained.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Metadata, MetadataValue } from '@udprpc/core';
import { defaultDedupPolicy } from '@udprpc/core/engine';
import type { ServerInterceptor } from '@udprpc/server';
import { asymmetricConditions, seeds, settleAll } from '@udprpc/testkit';
import { codeOf, payload, recordAt, sameBytes, startSimRun } from './sim-harness.js';

const SEED = Number(process.env['UDPRPC_FC_SEED'] ?? 20_261_203);
const RUNS = Number(process.env['UDPRPC_FC_RUNS'] ?? 1);
const TIMEOUT_MS = 10_000;
const REASSEMBLY_IDLE_MS = 10_000;

const keyChars = 'abcdefghijklmnopqrstuvwxyz0123456789-_.';
const key = fc.string({ unit: fc.constantFrom(...keyChars), minLength: 1, maxLength: 30 }).filter((k) => !k.startsWith('udprpc-'));
const value = fc.oneof(
  fc.string({ maxLength: 40, unit: 'grapheme' }),
  fc.uint8Array({ maxLength: 40 }),
  // Now and then a value big enough to fragment the message on its own.
  fc.integer({ min: 1000, max: 3000 }).map((n) => 'v'.repeat(n)),
);
const metadata = fc.dictionary(key, value, { minKeys: 0, maxKeys: 5, noNullPrototype: true });

const entries = (m: Metadata | Record<string, MetadataValue> | undefined): [string, MetadataValue][] =>
  m === undefined ? [] : 'entries' in m && typeof m.entries === 'function' ? [...(m as Metadata)] : Object.entries(m);

describe('call metadata on a lossy simulated network (fast-check)', () => {
  it('request and reply metadata arrive exactly, fragmented or not, replies from the cache included', async () => {
    const outcomes = { ok: 0, failed: 0, withMetadata: 0, replayed: 0 };
    await fc.assert(
      fc.asyncProperty(
        seeds(),
        asymmetricConditions({ maxLoss: 0.3, maxDuplicate: 0.2, maxDelayMs: 20, maxReorder: 0.2 }),
        fc.array(fc.record({ size: fc.integer({ min: 0, max: 3000 }), request: metadata, reply: metadata, startAtMs: fc.integer({ min: 0, max: 300 }) }), { minLength: 1, maxLength: 3 }),
        async (seed, { up, down }, calls) => {
          // Per tag, the request metadata each handler run saw; the handler sets the call's reply metadata.
          const seen = new Map<number, [string, MetadataValue][][]>();
          const md: ServerInterceptor = (next) => (req) => {
            const tag = (req.input as { tag: number }).tag;
            seen.set(tag, [...(seen.get(tag) ?? []), [...req.metadata]]);
            for (const [k, v] of Object.entries(calls[tag - 1]!.reply)) req.ctx.setReplyMetadata(k, v);
            return next(req);
          };
          const run = await startSimRun({ seed, up, down, server: { interceptors: [md] } });
          const { clock, stub } = run;
          const inputs = calls.map((c, i) => payload(c.size, seed + i));
          const replies = calls.map(() => [] as [string, MetadataValue][][]);
          const done = calls.map((c, i) =>
            recordAt(clock, c.startAtMs, i + 1, TIMEOUT_MS, () =>
              stub.blob(
                { tag: i + 1, data: inputs[i]! },
                { timeoutMs: TIMEOUT_MS, metadata: c.request, onReplyMetadata: (m) => replies[i]!.push([...m]) },
              ),
            ),
          );
          const settled = await settleAll(clock, done, { maxTimeMs: 60_000 });
          await clock.runFor(TIMEOUT_MS + defaultDedupPolicy.graceMs + REASSEMBLY_IDLE_MS + 1_000);
          settled.forEach((s, i) => {
            if (s.status === 'rejected') throw s.reason;
            const rec = s.value;
            const tag = i + 1;
            // Every run of the handler (at most one) saw exactly the caller's request metadata.
            const runs = seen.get(tag) ?? [];
            expect(runs.length, `handler runs of call ${tag}`).toBeLessThanOrEqual(1);
            for (const r of runs) expect(r).toEqual(entries(calls[i]!.request));
            if (rec.error === undefined) {
              outcomes.ok++;
              expect(runs).toHaveLength(1);
              expect(sameBytes((rec.value as { data: Uint8Array }).data, inputs[i]!)).toBe(true);
              const want = entries(calls[i]!.reply);
              // onReplyMetadata is called once when the reply carries metadata, never otherwise.
              expect(replies[i]).toEqual(want.length === 0 ? [] : [want]);
              if (want.length > 0) outcomes.withMetadata++;
            } else {
              outcomes.failed++;
              expect(['DEADLINE_EXCEEDED', 'RESOURCE_EXHAUSTED', 'ABORTED']).toContain(codeOf(rec.error));
            }
          });
          const ss = run.server.stats();
          outcomes.replayed += ss.duplicatesReplayed;
          expect({ reassemblyBytes: ss.reassemblyBytes, cacheEntries: ss.cacheEntries, cacheBytes: ss.cacheBytes, running: ss.running }).toEqual({
            reassemblyBytes: 0,
            cacheEntries: 0,
            cacheBytes: 0,
            running: 0,
          });
          expect(run.serverErrors).toEqual([]);
        },
      ),
      { numRuns: 60 * RUNS, seed: SEED },
    );
    // Not vacuous: most calls complete, many with reply metadata.
    expect(outcomes.ok).toBeGreaterThan(outcomes.failed);
    expect(outcomes.withMetadata).toBeGreaterThan(20);
    expect(outcomes.replayed).toBeGreaterThan(0);
  });
});
