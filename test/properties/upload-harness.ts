// Shared set-up for tests of requests in fragments: the REAL `udprpc` client
// and server on a seeded SimNetwork and a VirtualClock, both endpoints tapped
// (see sim-harness.ts), serving one method whose request is large and whose
// reply is small, so only the request travels in fragments.
import { createClient, createServer, defineContract, method, type Client, type Server } from 'udprpc';
import { SimNetwork, VirtualClock, createRandom, deriveSeed, sleep, type LinkConditions } from '@udprpc/testkit';
import { Tap } from './sim-harness.js';

/** Large requests, small replies. */
export const up = defineContract('up', {
  /** Waits `ms` of virtual time, then returns the byte count and a checksum of `data`. */
  upload: method<{ tag: number; data: Uint8Array; ms: number }, { tag: number; length: number; sum: number }>(),
});

/** What `upload` answers about `data`. */
export const checksum = (data: Uint8Array): number => data.reduce((s, b) => (s * 31 + b) >>> 0, 7);

export { payload } from './sim-harness.js';

export interface UploadRunOptions {
  seed: number;
  maxDatagramBytes?: number;
  /** Conditions of both directions (default: a fixed 1 ms delay, nothing lost). */
  up?: LinkConditions;
  down?: LinkConditions;
}

/** Starts a server of {@link up} and a client of it over a fresh simulated network; `close()` ends both. */
export async function startUploadRun(options: UploadRunOptions) {
  const { seed, maxDatagramBytes = 1200 } = options;
  const clock = new VirtualClock();
  const net = new SimNetwork({ clock, seed: deriveSeed(seed, 'net'), defaults: { delayMs: 1 } });
  const serverEp = net.endpoint('server');
  const clientEp = net.endpoint('client');
  if (options.up) net.setLink(clientEp, serverEp, options.up);
  if (options.down) net.setLink(serverEp, clientEp, options.down);
  const serverTap = new Tap(serverEp);
  const clientTap = new Tap(clientEp);
  /** Handler runs per tag. */
  const runs = new Map<number, number>();
  const serverErrors: Error[] = [];
  // The first server ever at its simulated address: no start-up grace (protocol.md §6.3).
  const server: Server = createServer({ startupGraceMs: 0, transport: serverTap, clock, maxDatagramBytes });
  server.on('error', (e) => serverErrors.push(e));
  server.implement(up, {
    upload: async ({ tag, data, ms }, ctx) => {
      runs.set(tag, (runs.get(tag) ?? 0) + 1);
      if (ms > 0) await sleep(clock, ms, ctx.signal);
      return { tag, length: data.length, sum: checksum(data) };
    },
  });
  const address = await server.listen();
  const client: Client = createClient({ transport: clientTap, peer: address, clock, maxDatagramBytes, random: createRandom(deriveSeed(seed, 'client')) });
  await client.connect();
  const close = async (): Promise<void> => {
    await client.close();
    await server.close();
  };
  return { clock, net, serverTap, clientTap, server, client, stub: client.stub(up), runs, serverErrors, close };
}

export type UploadRun = Awaited<ReturnType<typeof startUploadRun>>;
