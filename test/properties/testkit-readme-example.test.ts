// The example of packages/testkit/README.md, "Property-testing your retry
// behaviour", verbatim: the block below must stay identical to the README's
// (the last test checks it), so the README shows code that really runs.
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { createClient, createServer, defineContract, method } from 'udprpc';
import {
  SimNetwork, VirtualClock, asymmetricConditions, callSchedule,
  createRandom, deriveSeed, scheduleCalls, seeds, settleAll,
} from '@udprpc/testkit';

const counter = defineContract('counter', { incr: method<{ key: string }, number>() });

it('every call succeeds, and each increment is applied exactly once', async () => {
  await fc.assert(
    fc.asyncProperty(
      seeds(),
      asymmetricConditions({ maxLoss: 0.3, maxDuplicate: 0.2, maxDelayMs: 50 }),
      callSchedule(fc.constantFrom('a', 'b'), { maxCalls: 8, maxStartMs: 2000 }),
      async (seed, { up, down }, schedule) => {
        const clock = new VirtualClock();
        const net = new SimNetwork({ clock, seed: deriveSeed(seed, 'net') });
        const serverEp = net.endpoint('server');
        const clientEp = net.endpoint('client');
        net.setLink(clientEp, serverEp, up);
        net.setLink(serverEp, clientEp, down);

        const counts = new Map<string, number>();
        // The first server ever at this address: no start-up grace (docs/protocol.md §6.3).
        const server = createServer({ transport: serverEp, clock, startupGraceMs: 0 });
        server.implement(counter, {
          incr: async ({ key }) => {
            counts.set(key, (counts.get(key) ?? 0) + 1);
            return counts.get(key)!;
          },
        });
        await server.listen();
        const client = createClient({
          transport: clientEp, peer: serverEp.address, clock,
          random: createRandom(deriveSeed(seed, 'client')),
        });
        const stub = client.stub(counter);

        const calls = scheduleCalls(clock, schedule, (key) => stub.incr({ key }, { timeoutMs: 5000 }));
        const results = await settleAll(clock, calls, { maxTimeMs: 60_000 });

        expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
        for (const key of ['a', 'b']) {
          const values = results.flatMap((r, i) =>
            r.status === 'fulfilled' && schedule[i]!.input === key ? [r.value] : []);
          // Retransmissions and duplicates never re-run the handler: 1..n, each once.
          expect(values.sort((x, y) => x - y)).toEqual(values.map((_, i) => i + 1));
          expect(counts.get(key) ?? 0).toBe(values.length);
        }
        await client.close();
        await server.close();
      },
    ),
    { numRuns: 100, seed: 20251125 },
  );
});

// ---- end of the README example ----

import { readFileSync } from 'node:fs';

it('the README example is this file, verbatim', () => {
  const readme = readFileSync(new URL('../../packages/testkit/README.md', import.meta.url), 'utf8');
  const section = readme.slice(readme.indexOf('## Property-testing your retry behaviour'));
  const match = /```ts\n([\s\S]*?)```/.exec(section);
  expect(match, 'no ts block in the README section').not.toBeNull();
  const self = readFileSync(new URL(import.meta.url), 'utf8');
  expect(self).toContain(match![1]!);
});
