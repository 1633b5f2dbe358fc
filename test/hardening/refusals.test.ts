// Issue 11.10: a client broke for good after refusals. Every ERROR flagged
// REJECTED was acted on, even for a call already pushed back: its window
// slot was freed again (in flight went negative, -36,729 was seen) and it was
// queued again, and a pushed-back call still answered FRAGMENT_ACKs by
// sending fragments while the server had asked for a pause. A server that
// refuses a request fragment by fragment, or a network that duplicates one
// REJECTED, triggered it. Now a refusal is acted on once per round of
// transmissions (packages/core/src/client/client-engine.ts isLiveRefusal), a queued
// call ignores acks and its transfer's timer stays off (request-transfer.ts).
//
// The server here is scripted on a raw simulated endpoint, so every refusal,
// ack and arrival time is exact (1 ms links, virtual clock).
import { afterEach, describe, expect, it } from 'vitest';
import { Code } from '@udprpc/core';
import { encodeErrorBody, encodeFrame, Flag, FrameType, type Frame } from '@udprpc/core/wire';
import { createClient, defineContract, method, msgpackCodec, RpcError, type Client } from 'udprpc';
import { SimNetwork, VirtualClock, createRandom, settleAll, type SimTransport } from '@udprpc/testkit';
import { encodeFragmentAck } from '../../packages/core/src/wire/fragment-ack.js';
import { framesOf } from './meter.js';

const svc = defineContract('svc', { put: method<Uint8Array, number>() });
const RETRY_AFTER_MS = 50;

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

interface Arrival {
  readonly at: number;
  readonly frame: Frame;
}

/** A raw server endpoint answering each request frame with what `script` returns (sent at once, or after `delayMs`). */
async function scriptedServer(net: SimNetwork, clock: VirtualClock, script: (frame: Frame, arrivals: readonly Arrival[]) => { bytes: Uint8Array; copies?: number; delayMs?: number }[]) {
  const ep: SimTransport = net.endpoint('server');
  const arrivals: Arrival[] = [];
  await ep.listen((bytes, from) => {
    for (const frame of framesOf(bytes)) {
      if (frame.type !== FrameType.REQUEST) continue;
      arrivals.push({ at: clock.now(), frame });
      for (const out of script(frame, arrivals)) {
        const send = (): void => {
          for (let i = 0; i < (out.copies ?? 1); i++) ep.send(out.bytes, from);
        };
        if (out.delayMs === undefined) send();
        else clock.setTimer(out.delayMs, send);
      }
    }
  }, () => {});
  closers.push(() => ep.close());
  return { ep, arrivals };
}

const header = (f: Frame, type: number, flags = 0) => ({ type: type as Frame['type'], flags, attempt: f.attempt, session: f.session, id: f.id });
const rejected = (f: Frame) => encodeFrame(header(f, FrameType.ERROR, Flag.REJECTED), encodeErrorBody({ code: Code.RESOURCE_EXHAUSTED, retryAfterMs: RETRY_AFTER_MS, message: 'busy' }));
const response = (f: Frame, value: unknown) => encodeFrame(header(f, FrameType.RESPONSE), msgpackCodec.encode(value));
const fragmentAck = (f: Frame, cumulative: number) => encodeFrame(header(f, FrameType.FRAGMENT_ACK), encodeFragmentAck({ ackedType: FrameType.REQUEST, cumulative, ranges: [] }, 1000));

async function start(server: Parameters<typeof scriptedServer>[2]): Promise<{ clock: VirtualClock; client: Client; arrivals: readonly Arrival[] }> {
  const clock = new VirtualClock();
  const net = new SimNetwork({ clock, seed: 1, defaults: { delayMs: 1 } });
  const { ep, arrivals } = await scriptedServer(net, clock, server);
  const client = createClient({ transport: net.endpoint('client'), peer: ep.address, clock, random: createRandom(7) });
  closers.push(() => client.close());
  await client.connect();
  return { clock, client, arrivals };
}

/** Which round (1, 2, …) the server is in: each round sends fragment 0 (or the unfragmented request) once; nothing is lost here. */
function roundOf(arrivals: readonly Arrival[]): number {
  return arrivals.filter((a) => (a.frame.fragment?.index ?? 0) === 0).length;
}

describe('a refusal is acted on once per round (issue 11.10)', () => {
  it('a duplicated REJECTED pauses and requeues the call once: window and queue counts stay exact and return to 0', async () => {
    // Rounds 1 and 2 are refused, each refusal delivered twice; round 3 is answered.
    const { clock, client, arrivals } = await start((f, all) => (roundOf(all) <= 2 ? [{ bytes: rejected(f), copies: 2 }] : [{ bytes: response(f, 42) }]));
    const call = client.stub(svc).put(new Uint8Array(10), { timeoutMs: 5000 });
    await clock.runFor(10); // both copies of the first refusal have arrived
    expect(client.stats()).toMatchObject({ pushbacks: 1, inFlight: 0, queued: 1, window: { inFlight: 0, queued: 1 }, drops: { duplicate: 1 } });
    const [r] = await settleAll(clock, [call]);
    expect(r).toEqual({ status: 'fulfilled', value: 42 });
    // One REQUEST per round, each sent when the previous pause ended (1 ms
    // links); attempt numbers go on across rounds (protocol.md §8.1).
    expect(arrivals.map((a) => [a.at, a.frame.attempt])).toEqual([
      [1, 0],
      [2 + RETRY_AFTER_MS + 1, 1],
      [2 * (2 + RETRY_AFTER_MS) + 1, 2],
    ]);
    expect(client.stats()).toMatchObject({ calls: 1, responses: 1, pushbacks: 2, inFlight: 0, queued: 0, window: { inFlight: 0, queued: 0 }, drops: { duplicate: 2 } });
  });

  it('a server refusing fragment by fragment, and acking others late: one pushback per round, nothing sent while paused, counts back to 0', async () => {
    const FRAGMENTS = 4;
    // Rounds 1 and 2: fragment 0 is acked 5 ms late (after the refusals
    // arrived, while the client is paused), every other fragment is refused.
    // Round 3: the reply once the last fragment is in.
    const { clock, client, arrivals } = await start((f, all) => {
      const index = f.fragment!.index;
      if (roundOf(all) <= 2) return index === 0 ? [{ bytes: fragmentAck(f, 1), delayMs: 5 }] : [{ bytes: rejected(f) }];
      return index === FRAGMENTS - 1 ? [{ bytes: response(f, 7) }] : [];
    });
    const body = new Uint8Array(3 * 1100 + 500); // 4 fragments of a 1200-byte datagram
    const call = client.stub(svc).put(body, { timeoutMs: 5000 });
    await clock.runFor(20); // refusals at 2 ms, the late ack at 7 ms
    expect(arrivals.map((a) => [a.at, a.frame.fragment!.index])).toEqual([0, 1, 2, 3].map((i) => [1, i]));
    expect(client.stats()).toMatchObject({ pushbacks: 1, queued: 1, window: { inFlight: 0, queued: 1 }, drops: { duplicate: 3 } });
    const [r] = await settleAll(clock, [call]);
    expect(r).toEqual({ status: 'fulfilled', value: 7 });
    // Every fragment went out at the start of a round: none while paused.
    const roundStarts = [1, 2 + RETRY_AFTER_MS + 1, 2 * (2 + RETRY_AFTER_MS) + 1];
    expect(arrivals.map((a) => [a.at, a.frame.fragment!.index])).toEqual(roundStarts.flatMap((at) => [0, 1, 2, 3].map((i) => [at, i])));
    // Per refused round: 3 refusals (1 acted on) and 1 late ack, dropped.
    expect(client.stats()).toMatchObject({ calls: 1, responses: 1, pushbacks: 2, inFlight: 0, queued: 0, window: { inFlight: 0, queued: 0 }, drops: { duplicate: 6 } });
    expect(client.stats().requestProbes + client.stats().requestLossResends).toBe(0);
    // Each round's request carries the deadline left when that round was sent
    // (protocol.md §5.1), not the one of the first round: the server must not
    // keep the call past the client's deadline.
    const remaining = arrivals.filter((a) => a.frame.fragment!.index === 0).map((a) => new DataView(a.frame.body.buffer, a.frame.body.byteOffset).getUint32(0));
    expect(remaining).toEqual(roundStarts.map((at) => 5000 - (at - 1)));
  });

  it('a copy of a refusal delayed past the pause is recognized by its attempt number and ignored: one pushback, not two', async () => {
    // Round 1's refusal arrives at once, and again 60 ms later, while round 2
    // (sent at 52 ms, attempt 1) is waiting for its reply (sent 20 ms after it arrived).
    const { clock, client, arrivals } = await start((f, all) =>
      roundOf(all) === 1 ? [{ bytes: rejected(f) }, { bytes: rejected(f), delayMs: 60 }] : [{ bytes: response(f, 5), delayMs: 20 }],
    );
    const [r] = await settleAll(clock, [client.stub(svc).put(new Uint8Array(1))]);
    expect(r).toEqual({ status: 'fulfilled', value: 5 });
    expect(arrivals.map((a) => [a.at, a.frame.attempt])).toEqual([
      [1, 0],
      [2 + RETRY_AFTER_MS + 1, 1],
    ]);
    expect(clock.now()).toBe(2 + RETRY_AFTER_MS + 1 + 20 + 1);
    expect(client.stats()).toMatchObject({ pushbacks: 1, responses: 1, window: { inFlight: 0, queued: 0 }, drops: { duplicate: 1 } });
  });

  it('a call refused until its deadline fails with the remote RESOURCE_EXHAUSTED; later calls are sent at once', async () => {
    let refuse = true;
    const { clock, client, arrivals } = await start((f) => (refuse ? [{ bytes: rejected(f), copies: 3 }] : [{ bytes: response(f, 1) }]));
    const stub = client.stub(svc);
    const [r] = await settleAll(clock, [stub.put(new Uint8Array(1), { timeoutMs: 120 })]);
    // Rounds at 0, 52 and 104 ms; the third refusal asks for a pause past the deadline.
    const e = r!.status === 'rejected' ? r.reason : undefined;
    expect(RpcError.is(e) && [e.code, e.remote, e.retryAfterMs]).toEqual(['RESOURCE_EXHAUSTED', true, RETRY_AFTER_MS]);
    expect(arrivals.length).toBe(3);
    refuse = false;
    await clock.runFor(100); // the last pause ends
    // Two spare copies per pushed-back round are dropped; those of the last round find the call ended.
    expect(client.stats()).toMatchObject({ pushbacks: 2, errors: 1, window: { inFlight: 0, queued: 0 }, drops: { duplicate: 4, 'unknown-call': 2 } });
    const results = await settleAll(clock, [1, 2, 3].map(() => stub.put(new Uint8Array(1))));
    expect(results.map((x) => x.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled']);
    expect(client.stats()).toMatchObject({ inFlight: 0, queued: 0, window: { inFlight: 0, queued: 0 } });
  });
});

// The figure in docs/security.md ("Measured after the survival fixes", 11.10):
// the REAL server refusing calls (admission) and request fragments
// (reassembly) one by one, over a link that duplicates every datagram it
// sends. Logged, and checked exactly.
describe('refusals at scale (docs/security.md, 11.10)', () => {
  const CALLS = 200;
  it('200 calls from 4 clients at once, every server datagram duplicated: window and queue back to exactly 0, no call failed locally, none ran twice', async () => {
    const clock = new VirtualClock();
    const net = new SimNetwork({ clock, seed: 11, defaults: { delayMs: 1 } });
    const { createServer } = await import('udprpc');
    const serverEp = net.endpoint('server');
    // A first-ever server: no earlier incarnation can have run anything (protocol.md §6.3).
    const server = createServer({ transport: serverEp, clock, startupGraceMs: 0, admission: { maxRunning: 2, maxQueued: 0, retryAfterMs: 20 }, reassembly: { maxPeerMessages: 1 } });
    const runs = new Map<number, number>();
    const svc2 = defineContract('svc2', { put: method<{ tag: number; data: Uint8Array }, number>() });
    server.implement(svc2, {
      put: async ({ tag, data }) => {
        runs.set(tag, (runs.get(tag) ?? 0) + 1);
        await new Promise<void>((resolve) => clock.setTimer(5, resolve));
        return data.length;
      },
    });
    await server.listen();
    closers.push(() => server.close());
    const clients: Client[] = [];
    for (let c = 0; c < 4; c++) {
      const ep = net.endpoint(`client-${c}`);
      net.setLink(serverEp, ep, { delayMs: 1, duplicate: 1 });
      // Fragments of several uploads arrive interleaved, so the reassembly limit refuses some.
      net.setLink(ep, serverEp, { delayMs: 1, reorder: 0.5, reorderDelayMs: 5 });
      const client = createClient({ transport: ep, peer: serverEp.address, clock, random: createRandom(100 + c) });
      closers.push(() => client.close());
      clients.push(client);
    }
    let minWindow = 0;
    const calls = clients.flatMap((client, c) =>
      Array.from({ length: CALLS / 4 }, (_, i) => {
        const tag = c * 1000 + i;
        return client.stub(svc2).put({ tag, data: new Uint8Array(i % 2 === 0 ? 3000 : 10) }, { timeoutMs: 60_000 });
      }),
    );
    const watch = (): void => {
      for (const client of clients) minWindow = Math.min(minWindow, client.stats().window.inFlight);
      if (settled < calls.length) clock.setTimer(2, watch);
    };
    let settled = 0;
    for (const p of calls) p.then(() => settled++, () => settled++);
    watch();
    const results = await settleAll(clock, calls, { maxTimeMs: 120_000, maxSteps: 5_000_000 });
    const failed = results.filter((r) => r.status === 'rejected').length;
    const totals = clients.map((c) => c.stats()).reduce(
      (t, s) => ({ pushbacks: t.pushbacks + s.pushbacks, duplicate: t.duplicate + (s.drops.duplicate ?? 0), window: t.window + s.window.inFlight + s.window.queued }),
      { pushbacks: 0, duplicate: 0, window: 0 },
    );
    const ss = server.stats();
    console.log(`11.10: ${calls.length} calls, ${failed} failed, server refusals ${ss.rejected} (admission) + ${ss.reassemblyRefused} (fragments), client pushbacks ${totals.pushbacks}, refusals ignored ${totals.duplicate}, lowest window in flight ${minWindow}, window after drain ${totals.window}, max handler runs per call ${Math.max(...runs.values())}`);
    expect(failed).toBe(0);
    expect(minWindow).toBe(0);
    expect(totals.window).toBe(0);
    expect(Math.max(...runs.values())).toBe(1);
    expect(runs.size).toBe(CALLS);
    expect(totals.pushbacks).toBeLessThanOrEqual(ss.rejected + ss.reassemblyRefused);
  });
});
