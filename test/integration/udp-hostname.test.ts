// Issue 11.12: a client for a host name that does not resolve crashed the
// process with an unhandled rejection unless it was called in the same tick
// (the lookup started in createClient, and nothing awaited it), and the
// failed lookup was kept for the client's lifetime. Now the name is looked
// up on first use, with the injected `lookup` (no real DNS here), and a
// failure is tried again by the next call. Real UDP on 127.0.0.1.
import { afterEach, describe, expect, it } from 'vitest';
import { createClient, createServer, RpcError, type Client, type LookupAll, type Server } from 'udprpc';
import { calc, calcHandlers, createProbe } from '../helpers/calc-service.js';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

/** Collects the process's unhandled rejections while `body` runs (and a few ticks after). */
async function unhandledDuring(body: () => Promise<void>): Promise<unknown[]> {
  const seen: unknown[] = [];
  const listener = (reason: unknown): void => void seen.push(reason);
  process.on('unhandledRejection', listener);
  try {
    await body();
    // Unhandled rejections are reported after the microtask queue drains.
    await new Promise((resolve) => setTimeout(resolve, 20));
  } finally {
    process.off('unhandledRejection', listener);
  }
  return seen;
}

/** A lookup that fails its first `failures` calls (ENOTFOUND, as getaddrinfo does), then answers 127.0.0.1. */
function flakyLookup(failures: number): LookupAll & { calls: string[] } {
  const calls: string[] = [];
  const lookup = async (host: string) => {
    calls.push(host);
    if (calls.length <= failures) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
    return [{ address: '127.0.0.1', family: 4 }];
  };
  return Object.assign(lookup, { calls });
}

async function startServer(): Promise<Server & { port: number }> {
  const server = createServer({ host: '127.0.0.1' });
  server.implement(calc, calcHandlers(createProbe()));
  const { port } = await server.listen();
  closers.push(() => server.close());
  return Object.assign(server, { port });
}

function client(url: string, lookup: LookupAll): Client {
  const c = createClient({ url, lookup, timeoutMs: 2000 });
  closers.push(() => c.close());
  return c;
}

describe('a client for a host name (url: udp://name:port)', () => {
  it('creating it looks nothing up and leaves no unhandled rejection, even when the name does not resolve', async () => {
    const lookup = flakyLookup(Infinity);
    const unhandled = await unhandledDuring(async () => {
      client('udp://nowhere.invalid:4000', lookup);
      await new Promise((resolve) => setTimeout(resolve, 10)); // not called in the same tick
    });
    expect(unhandled).toEqual([]);
    expect(lookup.calls).toEqual([]);
  });

  it('a failed lookup fails that call with UNAVAILABLE (cause kept) and is tried again by the next call, which then succeeds', async () => {
    const server = await startServer();
    const lookup = flakyLookup(2);
    const c = client(`udp://db.example.test:${server.port}`, lookup);
    const stub = c.stub(calc);
    const unhandled = await unhandledDuring(async () => {
      await new Promise((resolve) => setTimeout(resolve, 10));
      for (let i = 0; i < 2; i++) {
        const failure = await stub.add({ a: 1, b: 2 }).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(RpcError.is(failure) && [failure.code, failure.remote, failure.message]).toEqual(['UNAVAILABLE', false, 'could not resolve db.example.test']);
        expect(((failure as RpcError).cause as { code?: string }).code).toBe('ENOTFOUND');
      }
      expect(await stub.add({ a: 1, b: 2 })).toBe(3);
      expect(await stub.add({ a: 2, b: 3 })).toBe(5);
    });
    expect(unhandled).toEqual([]);
    // One lookup per failed call, one that succeeded, then none: a success is kept.
    expect(lookup.calls).toEqual(['db.example.test', 'db.example.test', 'db.example.test']);
  });

  it('a lookup that answers no address fails the call with UNAVAILABLE, and the next call looks again', async () => {
    const server = await startServer();
    let answers: { address: string; family: number }[] = [];
    let calls = 0;
    const c = client(`udp://empty.example.test:${server.port}`, async () => {
      calls++;
      return answers;
    });
    const stub = c.stub(calc);
    const failure = await stub.add({ a: 1, b: 1 }).catch((e: unknown) => e);
    expect(RpcError.is(failure) && [failure.code, failure.message]).toEqual(['UNAVAILABLE', 'could not resolve empty.example.test: no A/AAAA records']);
    answers = [{ address: '127.0.0.1', family: 4 }];
    expect(await stub.add({ a: 1, b: 1 })).toBe(2);
    expect(calls).toBe(2);
  });
});
