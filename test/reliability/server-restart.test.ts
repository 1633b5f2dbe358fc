// Issue 11.6: a server restart must not run a call twice (protocol.md §6.3,
// "server incarnation"). A restart is simulated by replacing the server on
// one simulated address and port with a fresh one (new engine, new random
// incarnation, empty state); the old one stops sending and receiving at
// once, as after SIGKILL, while its handlers already running still count.
// Handler runs are counted per call after the network has drained.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type DatagramHandler, type PeerAddress, type Transport } from '@udprpc/core';
import { FrameType } from '@udprpc/core/wire';
import { SimNetwork, VirtualClock, createRandom, deriveSeed, netConditions, seeds, settleAll, type LinkConditions, type SimTransport } from '@udprpc/testkit';
import { createClient, createServer, RpcError, type Server, type UdpServerOptions } from 'udprpc';
import { Executions, implementRel, rel, Tap } from '../properties/sim-harness.js';

const SEED = Number(process.env['UDPRPC_FC_SEED'] ?? 20_261_106);
const RUNS = Number(process.env['UDPRPC_FC_RUNS'] ?? 1);
const link = { delayMs: 1 };

/** One simulated address and port that successive server processes bind in turn; only the latest sends or receives. */
class ServerPort {
  private current: object | undefined;
  private handler: DatagramHandler | undefined;

  constructor(readonly ep: SimTransport) {}

  async start(): Promise<void> {
    await this.ep.listen((bytes, from, meta) => this.handler?.(bytes, from, meta), () => {});
  }

  /** A transport for the next server process; the previous one is dead from now on. */
  open(): Transport {
    const me = {};
    this.current = me;
    this.handler = undefined;
    return {
      maxDatagramBytes: this.ep.maxDatagramBytes,
      listen: async (h: DatagramHandler): Promise<PeerAddress> => {
        if (this.current === me) this.handler = h;
        return this.ep.address;
      },
      send: (bytes: Uint8Array, to: PeerAddress) => {
        if (this.current === me) this.ep.send(bytes, to);
      },
      close: async () => {
        if (this.current === me) this.handler = undefined;
      },
    };
  }
}

async function startRestartRun(seed: number, up: LinkConditions = link, down: LinkConditions = link, first: Partial<UdpServerOptions> = {}) {
  const clock = new VirtualClock();
  const net = new SimNetwork({ clock, seed: deriveSeed(seed, 'net') });
  const serverEp = net.endpoint('server');
  const clientEp = net.endpoint('client');
  net.setLink(clientEp, serverEp, up);
  net.setLink(serverEp, clientEp, down);
  const port = new ServerPort(serverEp);
  await port.start();
  const executions = new Executions();
  const servers: Server[] = [];
  let n = 0;
  /** Starts a server process on the port (the previous one dies). */
  const boot = async (options: Partial<UdpServerOptions> = {}): Promise<Server> => {
    const server = createServer({ random: createRandom(deriveSeed(seed, `server-${++n}`)), ...options, transport: port.open(), clock });
    implementRel(server, clock, executions);
    await server.listen();
    servers.push(server);
    return server;
  };
  await boot(first);
  const clientTap = new Tap(clientEp);
  const client = createClient({ transport: clientTap, peer: serverEp.address, clock, random: createRandom(deriveSeed(seed, 'client')) });
  await client.connect();
  return { clock, net, port, executions, servers, boot, client, clientTap, stub: client.stub(rel) };
}

const mayHaveRun = (e: unknown) => RpcError.is(e) && { code: e.code, remote: e.remote, mayHaveRun: e.mayHaveRun };

describe('a server restart never runs a call twice (protocol.md §6.3)', () => {
  it('a call running when the server is killed is refused by the new one as "may have run" (start-up grace), not run again', async () => {
    const run = await startRestartRun(1);
    const { clock, stub, executions } = run;
    const call = stub.add({ tag: 1, a: 1, b: 2, delayMs: 300 });
    await clock.runFor(100); // running on the first server
    await run.boot(); // SIGKILL + restart
    const [outcome] = await settleAll(clock, [call]);
    expect(outcome.status === 'rejected' && mayHaveRun(outcome.reason)).toEqual({ code: 'ABORTED', remote: true, mayHaveRun: true });
    await clock.runFor(10_000);
    expect(executions.of(1)).toBe(1);
    expect(run.servers[1]!.stats()).toMatchObject({ duplicatesRefused: 1, restartRefused: 1, requests: 0 });
    // A new call after the refusal runs normally.
    const [next] = await settleAll(clock, [stub.add({ tag: 2, a: 2, b: 2, delayMs: 0 })]);
    expect(next).toEqual({ status: 'fulfilled', value: { tag: 2, sum: 4 } });
  });

  it('ACKs carry the incarnation; a call started knowing the old one is refused by the new one even without a grace period', async () => {
    const run = await startRestartRun(2);
    const { clock, stub, executions, clientTap } = run;
    // A slow call: its retransmission is ACKed, and the ACK's body names the first server's incarnation.
    const [first] = await settleAll(clock, [stub.add({ tag: 1, a: 1, b: 1, delayMs: 400 })]);
    expect(first.status).toBe('fulfilled');
    const incarnation = run.servers[0]!.incarnation;
    expect(incarnation).toBeGreaterThan(0);
    const requests = clientTap.sent.filter((f) => f.type === FrameType.REQUEST);
    // Every copy of the first call carries 0, also those sent after the ACK taught the client the incarnation (protocol.md §5.1).
    const known = (f: (typeof requests)[number]) => new DataView(f.body.buffer, f.body.byteOffset).getUint32(8);
    expect(requests.length).toBeGreaterThan(1);
    expect(requests.map(known)).toEqual(requests.map(() => 0));
    // The next call carries it in every copy.
    const call = stub.add({ tag: 2, a: 2, b: 2, delayMs: 300 });
    await clock.runFor(100);
    const second = clientTap.sent.filter((f) => f.type === FrameType.REQUEST).slice(requests.length);
    expect(second.length).toBeGreaterThan(0);
    for (const f of second) expect(new DataView(f.body.buffer, f.body.byteOffset).getUint32(8)).toBe(incarnation);
    await run.boot({ startupGraceMs: 0 });
    const [outcome] = await settleAll(clock, [call]);
    expect(outcome.status === 'rejected' && mayHaveRun(outcome.reason)).toEqual({ code: 'ABORTED', remote: true, mayHaveRun: true });
    await clock.runFor(10_000);
    expect(executions.of(2)).toBe(1);
    expect(run.servers[1]!.stats().restartRefused).toBe(1);
    // The refusal made the client forget the old incarnation: a new call
    // carries 0, so its retransmission (first copy lost) runs on this server.
    let lost = false;
    clientTap.filter = (f) => !(f?.type === FrameType.REQUEST && !lost && (lost = true));
    const [third] = await settleAll(clock, [stub.add({ tag: 3, a: 3, b: 3, delayMs: 0 })]);
    expect(third).toEqual({ status: 'fulfilled', value: { tag: 3, sum: 6 } });
    expect(run.servers[1]!.stats().restartRefused).toBe(1);
  });

  it('a call pushed back (REJECTED) by a server in its start-up grace period runs on its next round: the refusal names the incarnation', async () => {
    const run = await startRestartRun(5, link, link, { startupGraceMs: 60_000, admission: { maxRunning: 1, maxQueued: 0, retryAfterMs: 20 } });
    const { clock, stub, executions, clientTap } = run;
    const calls = [1, 2, 3].map((tag) => stub.add({ tag, a: tag, b: 1, delayMs: 50 }));
    const results = await settleAll(clock, calls);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled']);
    await clock.runFor(10_000);
    expect([1, 2, 3].map((tag) => executions.of(tag))).toEqual([1, 1, 1]);
    const stats = run.servers[0]!.stats();
    expect(stats.rejected).toBeGreaterThan(0);
    expect(stats.restartRefused).toBe(0);
    // Copies after a pushback keep counting attempts (> 0) and carry the refusing server's incarnation.
    const incarnation = run.servers[0]!.incarnation;
    // Calls 2 and 3 are the ones pushed back (call 1 came first and runs; an
    // early copy of it while it runs, protocol.md §7.2, is in its first round and is ACKed).
    const pushedBack = new Set([2, 3].map((tag) => executions.idOf.get(tag)));
    const later = clientTap.sent.filter((f) => f.type === FrameType.REQUEST && f.attempt > 0 && pushedBack.has(f.id));
    expect(later.length).toBeGreaterThan(0);
    for (const f of later) expect(new DataView(f.body.buffer, f.body.byteOffset).getUint32(8)).toBe(incarnation);
  });

  it('after the grace period, a retransmission from a client that knew no incarnation runs (it cannot predate this server)', async () => {
    const run = await startRestartRun(3, link, link, { startupGraceMs: 5000 });
    const { clock, stub, executions } = run;
    await clock.runFor(5000);
    // The first copy of the call is lost; its retransmission (attempt 1) carries incarnation 0.
    let lost = false;
    run.clientTap.filter = (f) => !(f?.type === FrameType.REQUEST && !lost && (lost = true));
    const [r] = await settleAll(clock, [stub.add({ tag: 1, a: 1, b: 1, delayMs: 0 })]);
    expect(r).toEqual({ status: 'fulfilled', value: { tag: 1, sum: 2 } });
    expect(executions.of(1)).toBe(1);
    expect(run.servers[0]!.stats().duplicatesRefused).toBe(0);
  });

  it('within the grace period the same retransmission is refused; idempotent methods are never refused', async () => {
    const run = await startRestartRun(4, link, link, { startupGraceMs: 5000 });
    const { clock, stub, executions } = run;
    let lose = 1;
    run.clientTap.filter = (f) => !(f?.type === FrameType.REQUEST && f.attempt === 0 && lose-- > 0);
    const [r] = await settleAll(clock, [stub.add({ tag: 1, a: 1, b: 1, delayMs: 0 })]);
    expect(r.status === 'rejected' && mayHaveRun(r.reason)).toEqual({ code: 'ABORTED', remote: true, mayHaveRun: true });
    expect(executions.of(1)).toBe(0);
    lose = 1;
    const [e] = await settleAll(clock, [stub.echo({ tag: 2, delayMs: 0 })]);
    expect(e).toEqual({ status: 'fulfilled', value: 2 });
    expect(run.servers[0]!.stats()).toMatchObject({ duplicatesRefused: 1, restartRefused: 1 });
  });

  it('property: with loss, duplication and 1–3 restarts at any time, no at-most-once call runs twice, and every call succeeds or fails with a typed error', async () => {
    const link = { maxLoss: 0.2, maxDuplicate: 0.2, maxDelayMs: 20, maxReorder: 0.2 };
    const call = fc.record({
      startAtMs: fc.integer({ min: 0, max: 1500 }),
      delayMs: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 300 })),
      idempotent: fc.boolean(),
    });
    // Each restart is a new server with the default start-up grace; the first server is the first ever (no grace).
    const restart = fc.integer({ min: 1, max: 2000 });
    await fc.assert(
      fc.asyncProperty(seeds(), netConditions(link), netConditions(link), fc.array(call, { minLength: 1, maxLength: 16 }), fc.array(restart, { minLength: 1, maxLength: 3 }), async (seed, up, down, calls, restarts) => {
        const run = await startRestartRun(seed, up, down, { startupGraceMs: 0 });
        const { clock, stub, executions } = run;
        for (const atMs of restarts) clock.setTimer(atMs, () => void run.boot());
        const outcomes = calls.map(
          (c, i) =>
            new Promise<{ ok: boolean; value?: unknown; error?: unknown }>((resolve) =>
              clock.setTimer(c.startAtMs, () => {
                const tag = i + 1;
                const p = c.idempotent ? stub.echo({ tag, delayMs: c.delayMs }) : stub.add({ tag, a: tag, b: 1, delayMs: c.delayMs });
                p.then(
                  (value) => resolve({ ok: true, value }),
                  (error: unknown) => resolve({ ok: false, error }),
                );
              }),
            ),
        );
        const settled = await settleAll(clock, outcomes, { maxTimeMs: 60_000 });
        await clock.runFor(10_000); // drain: every copy in the network has arrived, every handler has ended
        settled.forEach((s, i) => {
          const tag = i + 1;
          const c = calls[i]!;
          if (s.status !== 'fulfilled') throw new Error('outcome promise rejected');
          const o = s.value;
          if (!c.idempotent) expect(executions.of(tag), `call ${tag} ran ${executions.of(tag)} times`).toBeLessThanOrEqual(1);
          if (o.ok) {
            expect(o.value).toEqual(c.idempotent ? tag : { tag, sum: tag + 1 });
            expect(executions.of(tag)).toBeGreaterThanOrEqual(1);
          } else {
            expect(RpcError.is(o.error), String(o.error)).toBe(true);
            const e = o.error as RpcError;
            expect(['ABORTED', 'DEADLINE_EXCEEDED', 'UNAVAILABLE']).toContain(e.code);
            if (e.code === 'ABORTED') expect(e.mayHaveRun).toBe(true);
          }
        });
      }),
      { numRuns: 400 * RUNS, seed: SEED },
    );
  });
});
