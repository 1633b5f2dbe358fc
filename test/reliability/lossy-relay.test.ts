// The real `udprpc` client and server over real UDP sockets on 127.0.0.1,
// with a lossy relay in between: two node:dgram sockets that drop, duplicate
// and delay (hence reorder) datagrams in both directions, decided by a seeded
// PRNG from the testkit. Properties 1–3 and 5 must hold for 200 concurrent
// calls at 20 % loss each way. Nothing here asserts timing.
import { createSocket, type Socket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { createRandom } from '@udprpc/testkit';
import { createClient, createServer, defineContract, method, RpcError, type Client, type Server } from 'udprpc';

interface RelayOptions {
  loss: number;
  duplicate: number;
  maxDelayMs: number;
  seed: number;
}

interface Relay {
  /** The port clients send to. */
  readonly port: number;
  readonly stats: { forwarded: number; dropped: number; duplicated: number };
  close(): Promise<void>;
}

function bind(socket: Socket): Promise<number> {
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, '127.0.0.1', () => {
      socket.off('error', reject);
      resolve(socket.address().port);
    });
  });
}

/** front (faces the one client) <-> back (faces the server), lossy both ways. */
async function startRelay(serverPort: number, options: RelayOptions): Promise<Relay> {
  const random = createRandom(options.seed);
  const front = createSocket('udp4');
  const back = createSocket('udp4');
  const timers = new Set<ReturnType<typeof setTimeout>>();
  const stats = { forwarded: 0, dropped: 0, duplicated: 0 };
  let client: { address: string; port: number } | undefined;
  let closed = false;

  const pass = (out: Socket, msg: Buffer, port: number): void => {
    if (random() < options.loss) {
      stats.dropped++;
      return;
    }
    const copies = random() < options.duplicate ? 2 : 1;
    if (copies === 2) stats.duplicated++;
    for (let i = 0; i < copies; i++) {
      const timer = setTimeout(() => {
        timers.delete(timer);
        if (closed) return;
        stats.forwarded++;
        out.send(msg, port, '127.0.0.1');
      }, Math.floor(random() * (options.maxDelayMs + 1)));
      timers.add(timer);
    }
  };
  front.on('message', (msg, from) => {
    client = { address: from.address, port: from.port };
    pass(back, msg, serverPort);
  });
  back.on('message', (msg, from) => {
    if (from.port === serverPort && client !== undefined) pass(front, msg, client.port);
  });
  const port = await bind(front);
  await bind(back);
  return {
    port,
    stats,
    close: async () => {
      closed = true;
      for (const timer of timers) clearTimeout(timer);
      await Promise.all([front, back].map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    },
  };
}

const svc = defineContract('relay', {
  add: method<{ tag: number; a: number; b: number }, { tag: number; sum: number }>(),
  echo: method<{ tag: number }, number>({ idempotent: true }),
});

const CALLS = 200;
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('real UDP through a lossy relay (20 % loss, duplication, reordering)', () => {
  it(`${CALLS} concurrent calls: each settles once with its own result, at-most-once handlers run once, all succeed`, async () => {
    const executions = new Map<number, number>();
    const ran = (tag: number): void => void executions.set(tag, (executions.get(tag) ?? 0) + 1);
    const server: Server = createServer({ host: '127.0.0.1', port: 0 });
    // Handlers answer at once (add synchronously, echo after a microtask).
    server.implement(svc, {
      add: ({ tag, a, b }) => {
        ran(tag);
        return { tag, sum: a + b };
      },
      echo: async ({ tag }) => {
        ran(tag);
        await null;
        return tag;
      },
    });
    const address = await server.listen();
    cleanups.push(() => server.close());
    const relay = await startRelay(address.port, { loss: 0.2, duplicate: 0.1, maxDelayMs: 3, seed: 20_260_401 });
    cleanups.push(() => relay.close());
    const client: Client = createClient({ url: `udp://127.0.0.1:${relay.port}`, random: createRandom(20_260_402) });
    cleanups.push(() => client.close());
    const stub = client.stub(svc);

    let settleCount = 0;
    const calls = Array.from({ length: CALLS }, (_, i) => {
      const tag = i + 1;
      const call = i % 3 === 2 ? stub.echo({ tag }) : stub.add({ tag, a: tag * 1_000_003, b: tag * 7 + 1 });
      return call.then(
        (value) => (settleCount++, { tag, value }),
        (error: unknown) => (settleCount++, { tag, error }),
      );
    });
    const outcomes = await Promise.all(calls);

    // 1 + 5: every call settled exactly once, and successfully.
    expect(settleCount).toBe(CALLS);
    const failed = outcomes.filter((o) => 'error' in o).map((o) => ({ tag: o.tag, error: RpcError.is(o.error) ? o.error.code : String(o.error) }));
    expect(failed).toEqual([]);
    const cs = client.stats();
    expect(cs.inFlight).toBe(0);
    expect(cs.responses).toBe(CALLS);
    // 3: each result is its own call's.
    for (const o of outcomes) {
      const tag = o.tag;
      expect('value' in o && o.value).toEqual(tag % 3 === 0 ? tag : { tag, sum: tag * 1_000_003 + tag * 7 + 1 });
    }
    // 2: at-most-once handlers ran exactly once (idempotent ones at least once).
    for (let tag = 1; tag <= CALLS; tag++) {
      if (tag % 3 === 0) expect(executions.get(tag) ?? 0).toBeGreaterThanOrEqual(1);
      else expect(executions.get(tag), `add ${tag}`).toBe(1);
    }
    // The relay really was lossy.
    expect(relay.stats.dropped).toBeGreaterThan(0);
    expect(relay.stats.duplicated).toBeGreaterThan(0);
    expect(cs.retransmits).toBeGreaterThan(0);
  });
});
