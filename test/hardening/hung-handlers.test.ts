// Issue 11.7: handlers that never return must not wedge the server. A running
// handler is aborted at its call's deadline and keeps its slot for
// `admission.overrunGraceMs` more; then the slot is taken back (counted in
// `handlerOverruns`) and the next call runs. A queued call whose deadline
// passes leaves the queue at once. Before the fix, 20 hung calls with
// maxRunning 8 / maxQueued 4 left the server at 8 running / 4 queued for good,
// and every later call was refused with RESOURCE_EXHAUSTED.
import { afterEach, describe, expect, it } from 'vitest';
import { Code, CodecId } from '@udprpc/core';
import { decodeErrorBody, encodeFrame, encodeMethodName, encodeRequestFrame, Flag, FrameType, type Frame } from '@udprpc/core/wire';
import { createServer, defineContract, method, msgpackCodec, type Server } from 'udprpc';
import { SimNetwork, VirtualClock } from '@udprpc/testkit';
import { framesOf } from './meter.js';

const hung = defineContract('hung', {
  /** Never returns, and ignores its abort signal; `tag` names it. */
  hang: method<{ tag: number }, number>(),
  /** Returns `tag` at once. */
  echo: method<{ tag: number }, number>(),
  /** Returns when the test says so (`release(tag)`), whatever its signal says. */
  late: method<{ tag: number }, number>(),
});

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

const GRACE = 1000; // the default admission.overrunGraceMs

async function setUp(admission: { maxRunning: number; maxQueued: number; overrunGraceMs?: number }) {
  const clock = new VirtualClock();
  const net = new SimNetwork({ clock, seed: 11, defaults: { delayMs: 1 } });
  const server: Server = createServer({ transport: net.endpoint('server'), clock, admission: { retryAfterMs: 50, ...admission } });
  const signals = new Map<number, AbortSignal>();
  const runs: number[] = [];
  const releasers = new Map<number, () => void>();
  server.implement(hung, {
    hang: ({ tag }, ctx) => {
      runs.push(tag);
      signals.set(tag, ctx.signal);
      return new Promise<number>(() => {});
    },
    echo: ({ tag }) => {
      runs.push(tag);
      return tag;
    },
    late: ({ tag }, ctx) => {
      runs.push(tag);
      signals.set(tag, ctx.signal);
      return new Promise<number>((resolve) => releasers.set(tag, () => resolve(tag)));
    },
  });
  closers.push(() => server.close());
  const address = await server.listen();
  const ep = net.endpoint('peer');
  const received: Frame[] = [];
  await ep.listen((bytes) => received.push(...framesOf(bytes)), () => {});
  closers.push(() => ep.close());
  const call = (id: number, name: string, deadlineMs: number, tag = id): void =>
    ep.send(encodeRequestFrame({ type: FrameType.REQUEST, flags: 0, attempt: 0, session: 5, id }, deadlineMs, encodeMethodName(`hung.${name}`), msgpackCodec.encode({ tag }), undefined, undefined, CodecId.MSGPACK), address);
  const cancel = (id: number): void => ep.send(encodeFrame({ type: FrameType.CANCEL, flags: 0, attempt: 0, session: 5, id }, new Uint8Array(0)), address);
  const release = (tag: number): void => releasers.get(tag)!();
  const answers = (id: number): string[] =>
    received.filter((f) => f.id === id).map((f) => {
      if (f.type === FrameType.RESPONSE) return 'RESPONSE';
      if (f.type === FrameType.ACK) return 'ACK';
      const body = f.type === FrameType.ERROR ? decodeErrorBody(f.body) : undefined;
      return body?.ok ? `ERROR ${Object.entries(Code).find(([, n]) => n === body.value.code)![0]}${(f.flags & Flag.REJECTED) !== 0 ? ' REJECTED' : ''}` : `type ${f.type}`;
    });
  return { clock, server, signals, runs, call, cancel, release, answers };
}

describe('handlers that never return (issue 11.7)', () => {
  it('20 hung calls, maxRunning 8 / maxQueued 4: queued ones leave at their deadline, slots come back at deadline + grace, and later calls run', async () => {
    const { clock, server, signals, runs, call, answers } = await setUp({ maxRunning: 8, maxQueued: 4 });
    for (let id = 1; id <= 20; id++) call(id, 'hang', 500);
    await clock.runFor(10); // t = 10; the calls arrived at t = 1, deadline t = 501
    expect(server.stats()).toMatchObject({ running: 8, queued: 4, rejected: 8, deadlineAborts: 0, handlerOverruns: 0 });
    expect(runs).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    for (let id = 13; id <= 20; id++) expect(answers(id)).toEqual(['ERROR RESOURCE_EXHAUSTED REJECTED']);

    await clock.runFor(495); // t = 505: past the deadline of all 12
    // The 4 queued calls left the queue; the 8 handlers were aborted but keep their slots for the grace period.
    expect(server.stats()).toMatchObject({ running: 8, queued: 0, deadlineAborts: 12, handlerOverruns: 0 });
    expect([...signals.values()].map((s) => s.aborted)).toEqual(Array(8).fill(true));
    // A new call waits in the freed queue; nothing else is refused.
    call(21, 'echo', 5000);
    await clock.runFor(10); // t = 515
    expect(server.stats()).toMatchObject({ running: 8, queued: 1, rejected: 8 });
    expect(answers(21)).toEqual([]);

    await clock.runFor(501 + GRACE - 515 - 1); // t = 1500: one ms before the slots come back
    expect(server.stats()).toMatchObject({ running: 8, queued: 1, handlerOverruns: 0 });
    await clock.runFor(5); // t = 1505
    expect(server.stats()).toMatchObject({ running: 0, queued: 0, handlerOverruns: 8 });
    expect(answers(21)).toEqual(['RESPONSE']);
    // The hung handlers still see their aborted signal; none of 9..12 ever ran.
    expect([...signals.values()].every((s) => s.aborted)).toBe(true);
    expect(runs).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 21]);

    // The server works again: 12 more calls, all answered.
    for (let id = 22; id <= 33; id++) call(id, 'echo', 5000);
    await clock.runFor(10);
    for (let id = 22; id <= 33; id++) expect(answers(id)).toEqual(['RESPONSE']);
    expect(server.stats()).toMatchObject({ running: 0, queued: 0, rejected: 8, handlerOverruns: 8 });
  });

  it('a handler that returns after its slot was taken back: its reply is ignored and the slot is not freed twice', async () => {
    const { clock, server, signals, call, release, answers } = await setUp({ maxRunning: 1, maxQueued: 1 });
    call(1, 'late', 100);
    await clock.runFor(101 + GRACE + 5); // aborted at t = 101, slot back at t = 1101
    expect(signals.get(1)!.aborted).toBe(true);
    expect(server.stats()).toMatchObject({ running: 0, handlerOverruns: 1, deadlineAborts: 1 });
    call(2, 'late', 5000);
    await clock.runFor(5);
    expect(server.stats()).toMatchObject({ running: 1, queued: 0 });
    release(1); // the overrunning handler finally returns
    await clock.runFor(5);
    expect(answers(1)).toEqual([]);
    expect(server.stats()).toMatchObject({ running: 1, queued: 0, responses: 0 }); // call 2 still holds the one slot
    release(2);
    await clock.runFor(5);
    expect(answers(2)).toEqual(['RESPONSE']);
    expect(server.stats()).toMatchObject({ running: 0, queued: 0, responses: 1, handlerOverruns: 1 });
  });

  it('a handler that stops within the grace period is no overrun; a cancelled hung handler loses its slot at deadline + grace', async () => {
    const { clock, server, signals, call, cancel, release } = await setUp({ maxRunning: 2, maxQueued: 0 });
    call(1, 'late', 100);
    call(2, 'hang', 300);
    await clock.runFor(5);
    cancel(2);
    await clock.runFor(5);
    expect(signals.get(2)!.aborted).toBe(true);
    expect(server.stats()).toMatchObject({ running: 2, cancelled: 1 });
    await clock.runFor(100); // t = 110: call 1 aborted at t = 101
    release(1); // returns within the grace period
    await clock.runFor(1);
    expect(server.stats()).toMatchObject({ running: 1, handlerOverruns: 0 });
    await clock.runFor(301 + GRACE - 111 - 1); // t = 1300
    expect(server.stats()).toMatchObject({ running: 1, handlerOverruns: 0 });
    await clock.runFor(2); // t = 1302: call 2's deadline (t = 301) + grace passed
    expect(server.stats()).toMatchObject({ running: 0, handlerOverruns: 1 });
  });

  it('a cancelled queued call leaves the queue at once', async () => {
    const { clock, server, call, cancel, answers } = await setUp({ maxRunning: 1, maxQueued: 1 });
    call(1, 'hang', 1000);
    call(2, 'echo', 1000);
    await clock.runFor(5);
    expect(server.stats()).toMatchObject({ running: 1, queued: 1 });
    cancel(2);
    call(3, 'echo', 5000);
    await clock.runFor(5);
    expect(server.stats()).toMatchObject({ running: 1, queued: 1, rejected: 0, cancelled: 1 });
    await clock.runFor(1001 + GRACE);
    expect(answers(2)).toEqual([]);
    expect(answers(3)).toEqual(['RESPONSE']);
    expect(server.stats()).toMatchObject({ running: 0, queued: 0, handlerOverruns: 1 });
  });
});
