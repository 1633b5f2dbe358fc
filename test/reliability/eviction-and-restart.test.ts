// Byte-cap eviction (protocol.md §6.3: refuse rather than run twice) and a
// client restarted on the same address and port (§6.1: a new session never
// matches the old session's entries or replies). Deterministic.
import { describe, expect, it } from 'vitest';
import { type DatagramHandler, type PeerAddress, type Transport } from '@udprpc/core';
import { FrameType } from '@udprpc/core/wire';
import { SimNetwork, VirtualClock, createRandom, settleAll, type SimTransport } from '@udprpc/testkit';
import { createClient, createServer, RpcError } from 'udprpc';
import { Executions, implementRel, lastRequestId, rel, startSimRun, Tap } from '../properties/sim-harness.js';

const link = { delayMs: 1 };

describe('byte-cap eviction', () => {
  it('after an eviction, a retransmission of an at-most-once call whose entry was evicted is refused with ABORTED, not run again', async () => {
    // Each finished `add` entry costs 600 bytes (ENTRY_OVERHEAD_BYTES) + its ~35-byte reply: two fit, three do not.
    const run = await startSimRun({ seed: 31, up: link, down: link, server: { dedup: { maxBytes: 1350 } } });
    const { clock, stub } = run;
    let victim = -1;
    let lost = false;
    run.serverTap.filter = (f) => !(f?.type === FrameType.RESPONSE && f.id === victim && !lost && (lost = true));

    const a = stub.add({ tag: 1, a: 1, b: 1, delayMs: 0 }); // ran; its reply is lost
    victim = await lastRequestId(run);
    await clock.runFor(5);
    const others = [stub.add({ tag: 2, a: 2, b: 2, delayMs: 0 }), stub.add({ tag: 3, a: 3, b: 3, delayMs: 0 })];
    await clock.runFor(5);
    expect(run.server.stats().cacheEvictions).toBe(1); // call 1's entry, the oldest, went first

    const [ra, r2, r3] = await settleAll(clock, [a, ...others]);
    expect(r2).toEqual({ status: 'fulfilled', value: { tag: 2, sum: 4 } });
    expect(r3).toEqual({ status: 'fulfilled', value: { tag: 3, sum: 6 } });
    expect(ra.status).toBe('rejected');
    const error = (ra as PromiseRejectedResult).reason as unknown;
    expect(RpcError.is(error) && { code: error.code, remote: error.remote }).toEqual({ code: 'ABORTED', remote: true });
    expect(run.executions.of(1)).toBe(1); // refused, not run a second time
    const ss = run.server.stats();
    expect(ss.duplicatesRefused).toBe(1);
    expect(ss.cacheEvictions).toBeGreaterThanOrEqual(1);

    // First transmissions are never refused, nor are idempotent methods.
    const [r4, r5] = await settleAll(clock, [stub.add({ tag: 4, a: 4, b: 4, delayMs: 0 }), stub.echo({ tag: 5, delayMs: 0 })]);
    expect(r4).toEqual({ status: 'fulfilled', value: { tag: 4, sum: 8 } });
    expect(r5).toEqual({ status: 'fulfilled', value: 5 });
  });

  it('an idempotent call whose reply was lost after an eviction is run again rather than refused', async () => {
    const run = await startSimRun({ seed: 32, up: link, down: link, server: { dedup: { maxBytes: 1350 } } });
    const { clock, stub } = run;
    const first = await settleAll(clock, [1, 2, 3].map((tag) => stub.add({ tag, a: tag, b: 0, delayMs: 0 })));
    expect(first.every((r) => r.status === 'fulfilled')).toBe(true);
    expect(run.server.stats().cacheEvictions).toBeGreaterThanOrEqual(1);

    let victim = -1;
    let lost = false;
    run.serverTap.filter = (f) => !(f?.type === FrameType.RESPONSE && f.id === victim && !lost && (lost = true));
    const echo = stub.echo({ tag: 9, delayMs: 0 });
    victim = await lastRequestId(run);
    const [r] = await settleAll(clock, [echo]);
    expect(r).toEqual({ status: 'fulfilled', value: 9 });
    expect(run.executions.of(9)).toBe(2);
    expect(run.server.stats().duplicatesRefused).toBe(0);
  });
});

/** One simulated UDP port that successive client instances bind in turn. */
function sharedPort(ep: SimTransport): { start(): Promise<void>; open(): Transport } {
  let handler: DatagramHandler | undefined;
  return {
    start: async () => void (await ep.listen((bytes, from) => handler?.(bytes, from), () => {})),
    open: () => ({
      maxDatagramBytes: ep.maxDatagramBytes,
      listen: async (h: DatagramHandler): Promise<PeerAddress> => {
        handler = h;
        return ep.address;
      },
      send: (bytes: Uint8Array, to: PeerAddress) => ep.send(bytes, to),
      close: async () => void (handler = undefined),
    }),
  };
}

/** A random source whose first draws are scripted: the session first, then the first message id. */
function scripted(first: readonly number[], seed: number): () => number {
  const rest = createRandom(seed);
  let i = 0;
  return () => (i < first.length ? first[i++]! : rest());
}

describe('a restarted client (same address and port, new session)', () => {
  it('never receives an old cached or in-flight reply, even for the very same message ids', async () => {
    const clock = new VirtualClock();
    const net = new SimNetwork({ clock, seed: 33, defaults: link });
    const serverTap = new Tap(net.endpoint('server'));
    const port = sharedPort(net.endpoint('client'));
    await port.start();
    const executions = new Executions();
    const server = createServer({ transport: serverTap, clock });
    implementRel(server, clock, executions);
    await server.listen();
    const peer = serverTap.inner.address;
    // Client 1: session from 0.25, ids from 2^31.
    const c1 = new Tap(port.open());
    const client1 = createClient({ transport: c1, peer, clock, random: scripted([0.25, 0.5], 1) });
    const stub1 = client1.stub(rel);
    const [old1] = await settleAll(clock, [stub1.add({ tag: 1, a: 1, b: 1, delayMs: 0 })]);
    expect(old1).toEqual({ status: 'fulfilled', value: { tag: 1, sum: 2 } });
    // Client 1's next reply spends 300 ms in the network; client 1 restarts meanwhile.
    net.setLink('server', 'client', { delayMs: 300 });
    const old2 = stub1.add({ tag: 2, a: 2, b: 2, delayMs: 0 }).catch((e: unknown) => e);
    await clock.runFor(20);
    await client1.close();
    expect(await old2).toMatchObject({ code: 'CANCELLED' });

    // Client 2 on the same port: another session, but the SAME message ids.
    const c2 = new Tap(port.open());
    const client2 = createClient({ transport: c2, peer, clock, random: scripted([0.75, 0.5], 2) });
    const stub2 = client2.stub(rel);
    const drops: Array<{ reason: string; at: number }> = [];
    client2.on('drop', (reason) => drops.push({ reason, at: clock.now() }));
    const calls = [stub2.add({ tag: 101, a: 5, b: 5, delayMs: 0 }), stub2.add({ tag: 102, a: 6, b: 6, delayMs: 0 })];
    let settledAt = Infinity;
    void Promise.all(calls).then(() => (settledAt = clock.now()));
    const results = await settleAll(clock, calls);

    // Preconditions: the same message ids, different sessions.
    const requests = (tap: Tap<Transport>) => tap.sent.filter((f) => f.type === FrameType.REQUEST);
    const [old1Req, old2Req] = requests(c1);
    const [new1Req, new2Req] = requests(c2);
    expect([new1Req!.id, new2Req!.id]).toEqual([old1Req!.id, old2Req!.id]);
    expect(new1Req!.session).not.toBe(old1Req!.session);

    expect(results).toEqual([
      { status: 'fulfilled', value: { tag: 101, sum: 10 } },
      { status: 'fulfilled', value: { tag: 102, sum: 12 } },
    ]);
    expect(executions.of(101)).toBe(1);
    expect(executions.of(102)).toBe(1);
    expect(server.stats().requests).toBe(4);
    // The old session's reply for id 2^31+1 reached client 2 while its own
    // call with that id was in flight, and was dropped.
    expect(drops.filter((d) => d.at < settledAt)).toEqual([{ reason: 'unknown-call', at: expect.any(Number) }]);
  });
});
