// Issue 11, items 1 and 7, as a property: under small admission limits and a
// small reply cache, any schedule of hung, slow and synchronous (idempotent or
// not) calls, some cancelled and some retransmitted, leaves the server with
// nothing once every deadline, grace and expiry has passed: no slot held, no
// call queued, no cache entry, a byte counter back to exactly 0 and never
// negative on the way; every slot taken by a hung handler came back as one
// counted overrun; no non-idempotent handler ran twice; and the server still
// answers. Counted only after the network has drained.
//
// Replay a failure: fast-check prints `{ seed, path }`; rerun with
// UDPRPC_FC_SEED=<seed>. Explore: UDPRPC_FC_RUNS=20 multiplies numRuns.
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { CodecId } from '@udprpc/core';
import { encodeFrame, encodeMethodName, encodeRequestFrame, FrameType, type Frame } from '@udprpc/core/wire';
import { createServer, defineContract, method, msgpackCodec } from 'udprpc';
import { SimNetwork, VirtualClock, sleep } from '@udprpc/testkit';
import { framesOf } from './meter.js';

const SEED = Number(process.env['UDPRPC_FC_SEED'] ?? 20_261_107);
const RUNS = Number(process.env['UDPRPC_FC_RUNS'] ?? 1);
const GRACE_MS = 2000; // dedup.graceMs default
const OVERRUN_GRACE_MS = 1000; // admission.overrunGraceMs default

const surv = defineContract('surv', {
  hang: method<{ tag: number }, number>(),
  slow: method<{ tag: number; ms: number }, number>(),
  slowIdem: method<{ tag: number; ms: number }, number>({ idempotent: true }),
  once: method<{ tag: number; bytes: number }, Uint8Array>(),
  idem: method<{ tag: number; bytes: number }, Uint8Array>({ idempotent: true }),
});
type Kind = keyof typeof surv.methods;

interface Planned {
  kind: Kind;
  startAtMs: number;
  deadlineMs: number;
  ms: number;
  bytes: number;
  cancelAfterMs: number | undefined;
  retransmitAt: number | undefined;
}

const planned: fc.Arbitrary<Planned> = fc.record({
  kind: fc.constantFrom<Kind>('hang', 'slow', 'slowIdem', 'once', 'once', 'idem', 'idem'),
  startAtMs: fc.integer({ min: 0, max: 1000 }),
  deadlineMs: fc.integer({ min: 20, max: 2000 }),
  ms: fc.integer({ min: 1, max: 500 }),
  bytes: fc.integer({ min: 0, max: 900 }),
  cancelAfterMs: fc.option(fc.integer({ min: 0, max: 600 }), { freq: 4, nil: undefined }),
  /** A fraction of the deadline: a client retransmits only before its deadline, with what remains of it. */
  retransmitAt: fc.option(fc.double({ min: 0, max: 0.99, noNaN: true }), { freq: 3, nil: undefined }),
});

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

async function check(maxRunning: number, maxQueued: number, maxBytes: number, calls: Planned[]): Promise<void> {
  const clock = new VirtualClock();
  const net = new SimNetwork({ clock, seed: 1, defaults: { delayMs: 1 } });
  const server = createServer({ transport: net.endpoint('server'), clock, admission: { maxRunning, maxQueued }, dedup: { maxBytes }, antiAmplification: false });
  const runs = new Map<number, number>();
  const ran = (tag: number): void => void runs.set(tag, (runs.get(tag) ?? 0) + 1);
  server.implement(surv, {
    hang: ({ tag }) => (ran(tag), new Promise<number>(() => {})),
    slow: async ({ tag, ms }, ctx) => (ran(tag), await sleep(clock, ms, ctx.signal), tag),
    slowIdem: async ({ tag, ms }, ctx) => (ran(tag), await sleep(clock, ms, ctx.signal), tag),
    once: ({ tag, bytes }) => (ran(tag), new Uint8Array(bytes)),
    idem: ({ tag, bytes }) => (ran(tag), new Uint8Array(bytes)),
  });
  closers.push(() => server.close());
  const address = await server.listen();
  const ep = net.endpoint('peer');
  const got: Frame[] = [];
  await ep.listen((bytes) => got.push(...framesOf(bytes)), () => {});
  closers.push(() => ep.close());

  const request = (id: number, c: Planned, attempt: number, deadlineMs = c.deadlineMs): Uint8Array =>
    encodeRequestFrame(
      { type: FrameType.REQUEST, flags: 0, attempt, session: 3, id },
      deadlineMs,
      encodeMethodName(`surv.${c.kind}`),
      msgpackCodec.encode(c.kind === 'hang' ? { tag: id } : c.kind === 'once' || c.kind === 'idem' ? { tag: id, bytes: c.bytes } : { tag: id, ms: c.ms }), undefined, undefined, CodecId.MSGPACK
    );
  const bare = (type: FrameType, id: number): Uint8Array => encodeFrame({ type, flags: 0, attempt: 0, session: 3, id }, new Uint8Array(0));
  const events: { at: number; send: () => void }[] = [];
  calls.forEach((c, i) => {
    const id = i + 1;
    events.push({ at: c.startAtMs, send: () => ep.send(request(id, c, 0), address) });
    if (c.cancelAfterMs !== undefined) events.push({ at: c.startAtMs + c.cancelAfterMs, send: () => ep.send(bare(FrameType.CANCEL, id), address) });
    if (c.retransmitAt !== undefined) {
      const after = Math.floor(c.retransmitAt * c.deadlineMs);
      events.push({ at: c.startAtMs + after, send: () => ep.send(request(id, c, 1, c.deadlineMs - after), address) });
    }
  });
  events.sort((a, b) => a.at - b.at);
  let lowest = 0;
  for (const e of events) {
    if (e.at > clock.now()) await clock.runUntil(e.at);
    e.send();
    await clock.runFor(0);
    lowest = Math.min(lowest, server.stats().cacheBytes);
  }
  // Every deadline, overrun grace, expiry (graceMs) and delay has passed.
  const last = Math.max(...events.map((e) => e.at)) + 2000;
  const horizon = last + OVERRUN_GRACE_MS + GRACE_MS + 100;
  while (clock.now() < horizon) {
    await clock.runFor(100);
    lowest = Math.min(lowest, server.stats().cacheBytes);
  }
  const s = server.stats();
  expect(lowest, 'cacheBytes went negative').toBe(0);
  expect({ running: s.running, queued: s.queued, cacheEntries: s.cacheEntries, cacheBytes: s.cacheBytes }).toEqual({ running: 0, queued: 0, cacheEntries: 0, cacheBytes: 0 });
  const hangsRun = calls.filter((c, i) => c.kind === 'hang' && (runs.get(i + 1) ?? 0) > 0).length;
  expect(s.handlerOverruns, 'overruns = hung handlers that got a slot').toBe(hangsRun);
  calls.forEach((c, i) => {
    if (c.kind === 'hang' || c.kind === 'slow' || c.kind === 'once') expect(runs.get(i + 1) ?? 0, `${c.kind} ${i + 1} ran twice`).toBeLessThanOrEqual(1);
  });
  expect(s.deadlineAborts).toBeLessThanOrEqual(calls.length);
  // Still serving.
  got.length = 0;
  ep.send(bare(FrameType.PING, 9001), address);
  ep.send(request(9002, { kind: 'once', startAtMs: 0, deadlineMs: 1000, ms: 0, bytes: 3, cancelAfterMs: undefined, retransmitAt: undefined }, 0), address);
  await clock.runFor(10);
  expect(got.map((f) => [f.type, f.id])).toEqual([
    [FrameType.PONG, 9001],
    [FrameType.RESPONSE, 9002],
  ]);
}

describe('server survival under small limits (issue 11.1, 11.7; fast-check)', () => {
  it('nothing held, nothing negative, every hung slot back as one overrun, non-idempotent at most once, still answering', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 0, max: 4 }),
        fc.constantFrom(1100, 4000, 64 * 1024 * 1024),
        fc.array(planned, { minLength: 1, maxLength: 24 }),
        async (maxRunning, maxQueued, maxBytes, calls) => check(maxRunning, maxQueued, maxBytes, calls),
      ),
      { numRuns: 150 * RUNS, seed: SEED },
    );
  });
});
