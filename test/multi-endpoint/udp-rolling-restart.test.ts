// Issue 18, graceful drain over real UDP on 127.0.0.1: three servers behind
// one `createClient({ urls })`, restarted one after the other under load —
// each drains with `close({ graceMs })`, then a new server binds the same
// port — while eight callers keep calling. Counted once every call settled:
// failed idempotent calls, non-idempotent calls run more than once, calls
// left hanging. docs/multi-endpoint.md "Draining" quotes the figures printed.
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { createClient, createServer, RpcError, type Server } from 'udprpc';
import { svc } from './sim-cluster.js';

const GRACE_MS = 2000;
const LINGER_MS = 200;
const GAP_MS = 300;
const CALLERS = 8;
const MAX_CALLS = 5000;
const HANG_LIMIT_MS = 15_000;

const runs = new Map<number, number>();
const live: Server[] = [];
afterAll(async () => {
  await Promise.all(live.map((s) => s.close()));
});

async function serve(port: number, name: string): Promise<{ server: Server; port: number }> {
  const server = createServer({ host: '127.0.0.1', port });
  const handle = async ({ tag, delayMs }: { tag: number; delayMs: number }) => {
    runs.set(tag, (runs.get(tag) ?? 0) + 1);
    if (delayMs > 0) await sleep(delayMs);
    return { tag, server: name };
  };
  server.implement(svc, { get: handle, put: handle });
  const address = await server.listen();
  live.push(server);
  return { server, port: address.port };
}

describe('rolling restart over UDP on 127.0.0.1', () => {
  it('3 servers drained and restarted in turn under load: 0 failed idempotent calls, 0 non-idempotent calls run twice, none left hanging', async () => {
    const started = await Promise.all([0, 1, 2].map((i) => serve(0, `s${i}`)));
    const servers = started.map((s) => s.server);
    const ports = started.map((s) => s.port);
    const client = createClient({ urls: ports.map((p) => `udp://127.0.0.1:${p}`) });
    const stub = client.stub(svc);
    let stop = false;
    let nextTag = 1;
    const outcomes: { tag: number; idempotent: boolean; error: RpcError | undefined }[] = [];
    const caller = async (): Promise<void> => {
      while (!stop && nextTag <= MAX_CALLS) {
        const tag = nextTag++;
        const idempotent = tag % 2 === 0;
        const input = { tag, delayMs: tag % 31 };
        try {
          await (idempotent ? stub.get(input) : stub.put(input));
          outcomes.push({ tag, idempotent, error: undefined });
        } catch (e) {
          outcomes.push({ tag, idempotent, error: RpcError.from(e) });
        }
      }
    };
    const load = Array.from({ length: CALLERS }, caller);
    const t0 = performance.now();
    for (let i = 0; i < 3; i++) {
      await sleep(GAP_MS);
      await servers[i]!.close({ graceMs: GRACE_MS, lingerMs: LINGER_MS });
      servers[i] = (await serve(ports[i]!, `s${i}'`)).server;
    }
    await sleep(GAP_MS);
    stop = true;
    const settled = await Promise.race([Promise.all(load).then(() => true), sleep(HANG_LIMIT_MS).then(() => false)]);
    const elapsedMs = performance.now() - t0;
    const started_ = nextTag - 1;
    const failedIdempotent = outcomes.filter((o) => o.idempotent && o.error !== undefined);
    const failedOther = outcomes.filter((o) => !o.idempotent && o.error !== undefined);
    const ranTwice = outcomes.filter((o) => !o.idempotent && (runs.get(o.tag) ?? 0) > 1);
    const hanging = started_ - outcomes.length;
    const routing = client.stats().routing;
    console.log(
      `udp rolling restart: ${started_} calls in ${Math.round(elapsedMs)} ms; failed idempotent ${failedIdempotent.length}, ` +
        `failed non-idempotent ${failedOther.length}${failedOther.length > 0 ? ` (${failedOther.map((o) => o.error!.code).join(', ')})` : ''}, ` +
        `non-idempotent run twice ${ranTwice.length}, hanging ${hanging}; GOAWAYs heeded ${routing.goAways}, refused and moved ${routing.drainReroutes}`,
    );
    await client.close();
    expect(settled).toBe(true);
    expect(hanging).toBe(0);
    expect(failedIdempotent.map((o) => `${o.tag}: ${o.error!.code} ${o.error!.message}`)).toEqual([]);
    expect(ranTwice.map((o) => o.tag)).toEqual([]);
    expect(routing.goAways).toBe(3);
    expect(started_).toBeGreaterThan(CALLERS);
  }, 60_000);
});
