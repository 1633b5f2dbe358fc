// Issue 11.1: a synchronous idempotent handler answers inside admission
// (re-entrantly, before `startCall` has armed the call's deadline). The reply
// cache must then hold nothing of the call: no entry, no bytes, no timer, no
// deadline abort, and nothing in its eviction list. Before the fix the
// forgotten entry stayed RUNNING, its deadline was armed afterwards, and at the
// deadline it was "cancelled" back into the eviction list for good: the byte
// counter went negative, every call counted as a deadline abort, and once the
// cache passed its byte cap the eviction loop spun forever.
//
// Driven on the bare ServerEngine (sans-io), so every figure is exact.
import { describe, expect, it } from 'vitest';
import { type PeerAddress, CodecId } from '@udprpc/core';
import { encodeFrame, encodeMethodName, encodeRequestFrame, FrameType, HEADER_BYTES, parseFrame, type FrameHeader } from '@udprpc/core/wire';
import { ServerEngine } from '@udprpc/core/engine';
import { msgpackCodec } from 'udprpc';
import { bareFrame, requestFrame, useHardSim } from './harness.js';

const PEER: PeerAddress = { address: '10.0.0.1', family: 'IPv4', port: 4000 };
const ENTRY_OVERHEAD = 600; // ENTRY_OVERHEAD_BYTES (packages/core/src/server/call-entry.ts)
const REPLY_BYTES = 300;
const DEADLINE_MS = 1000;
const GRACE_MS = 2000;

interface Rig {
  engine: ServerEngine;
  sent: { type: number; id: number; bytes: number }[];
  now: number;
  /** Every cacheBytes value seen after an engine call. */
  cacheBytesSeen: number[];
  call(id: number, method: string): void;
  ping(id: number): void;
  /** Runs the engine's timers up to `until`, at most 10 000 firings. */
  runTo(until: number): void;
}

function rig(maxBytes: number): Rig {
  const sent: Rig['sent'] = [];
  const r: Rig = {
    engine: undefined as unknown as ServerEngine,
    sent,
    now: 0,
    cacheBytesSeen: [],
    call(id, method) {
      const header: FrameHeader = { type: FrameType.REQUEST, flags: 0, attempt: 0, session: 7, id };
      r.engine.receive(encodeRequestFrame(header, DEADLINE_MS, encodeMethodName(method), new Uint8Array(20), undefined, undefined, CodecId.MSGPACK), PEER, r.now);
      r.cacheBytesSeen.push(r.engine.stats().cacheBytes);
    },
    ping(id) {
      const header: FrameHeader = { type: FrameType.PING, flags: 0, attempt: 0, session: 7, id };
      r.engine.receive(encodeFrame(header, new Uint8Array(0)), PEER, r.now);
    },
    runTo(until) {
      for (let i = 0; i < 10_000; i++) {
        const at = r.engine.nextTimerAt();
        if (at === undefined || at > until) break;
        r.now = Math.max(r.now, at);
        r.engine.onTimer(r.now);
        r.cacheBytesSeen.push(r.engine.stats().cacheBytes);
      }
      r.now = until;
    },
  };
  r.engine = new ServerEngine({
    send: (bytes) => {
      const f = parseFrame(bytes);
      if (typeof f !== 'string') sent.push({ type: f.type, id: f.id, bytes: bytes.length });
    },
    dedup: { maxBytes, graceMs: GRACE_MS },
    hooks: {
      // Answers synchronously, inside receive() → admission → onCall.
      onCall: (call) => r.engine.respondOk(call, new Uint8Array(REPLY_BYTES), r.now),
      isIdempotent: (method) => method === 'svc.idem',
    },
  });
  return r;
}

describe('a synchronous idempotent handler (issue 11.1)', () => {
  it('leaves no entry, no bytes, no timer and no deadline abort, before and after its deadline', () => {
    const r = rig(64 * 1024 * 1024);
    for (let id = 1; id <= 200; id++) r.call(id, 'svc.idem');
    expect(r.sent.filter((s) => s.type === FrameType.RESPONSE)).toHaveLength(200);
    expect(r.engine.stats()).toMatchObject({ responses: 200, cacheEntries: 0, cacheBytes: 0, running: 0, queued: 0, deadlineAborts: 0 });
    expect(r.engine.nextTimerAt()).toBeUndefined(); // before the fix: each call's deadline was armed
    r.runTo(DEADLINE_MS + GRACE_MS + 10);
    expect(r.engine.stats()).toMatchObject({ cacheEntries: 0, cacheBytes: 0, deadlineAborts: 0, cacheEvictions: 0 });
    expect(r.cacheBytesSeen.every((b) => b === 0)).toBe(true);
  });

  it('the byte counter stays exact around idempotent calls, and eviction past the cap terminates; PINGs are answered', () => {
    // Room for 4 cached non-idempotent replies.
    const oneEntry = ENTRY_OVERHEAD + 14 + REPLY_BYTES;
    const r = rig(4 * oneEntry);
    for (let id = 1; id <= 50; id++) r.call(id, 'svc.idem');
    r.runTo(DEADLINE_MS + 1); // the deadlines of the idempotent calls, if armed, pass
    expect(r.engine.stats()).toMatchObject({ cacheEntries: 0, cacheBytes: 0, deadlineAborts: 0 });
    // Non-idempotent calls: cached, each charged exactly one entry, evicted oldest first past the cap.
    for (let id = 101; id <= 104; id++) r.call(id, 'svc.once');
    expect(r.engine.stats()).toMatchObject({ cacheEntries: 4, cacheBytes: 4 * oneEntry, cacheEvictions: 0 });
    for (let id = 105; id <= 110; id++) r.call(id, 'svc.once'); // each one pushes the oldest out
    expect(r.engine.stats()).toMatchObject({ cacheEntries: 4, cacheBytes: 4 * oneEntry, cacheEvictions: 6, deadlineAborts: 0 });
    for (let id = 1; id <= 6; id++) r.ping(id);
    expect(r.sent.filter((s) => s.type === FrameType.PONG).map((s) => s.id)).toEqual([1, 2, 3, 4, 5, 6]);
    // Everything expires: back to exactly zero, never below.
    r.runTo(r.now + DEADLINE_MS + GRACE_MS + 10);
    expect(r.engine.stats()).toMatchObject({ cacheEntries: 0, cacheBytes: 0, deadlineAborts: 0 });
    expect(r.engine.nextTimerAt()).toBeUndefined();
    expect(Math.min(...r.cacheBytesSeen)).toBe(0);
  });
});

describe('udprpc.describe on a real server (issue 11.1)', () => {
  const start = useHardSim();
  const describeWire = encodeMethodName('udprpc.describe');
  const describeFrame = (id: number): Uint8Array =>
    encodeRequestFrame({ type: FrameType.REQUEST, flags: 0, attempt: 0, session: 0xabcdef, id }, DEADLINE_MS, describeWire, msgpackCodec.encode(null), undefined, undefined, CodecId.MSGPACK);

  it('after 100 describe calls and their deadlines the cache is empty; past the byte cap, 6 of 6 PINGs are answered', async () => {
    const maxBytes = 4000;
    const sim = await start({ server: { dedup: { maxBytes }, antiAmplification: false } });
    const raw = await sim.raw();
    for (let id = 1; id <= 100; id++) raw.send(describeFrame(id));
    await sim.clock.runFor(10);
    expect(raw.received.filter((f) => f.type === FrameType.RESPONSE)).toHaveLength(100);
    await sim.clock.runFor(DEADLINE_MS + 2000 + 100);
    expect(sim.server.stats()).toMatchObject({ cacheEntries: 0, cacheBytes: 0, deadlineAborts: 0, running: 0 });
    // Non-idempotent replies of ~500 bytes take the cache past its cap.
    for (let id = 1001; id <= 1020; id++) raw.send(requestFrame({ id }, 'big', { tag: id, bytes: 500 }));
    await sim.clock.runFor(10);
    const stats = sim.server.stats();
    expect(stats.cacheEvictions).toBeGreaterThan(0);
    expect(stats.cacheBytes).toBeLessThanOrEqual(maxBytes);
    const reply = raw.received.find((f) => f.type === FrameType.RESPONSE && f.id === 1020)!;
    expect(stats.cacheBytes).toBe(stats.cacheEntries * (ENTRY_OVERHEAD + HEADER_BYTES + reply.body.length));
    for (let id = 1; id <= 6; id++) raw.send(bareFrame(FrameType.PING, { id: 5000 + id }));
    await sim.clock.runFor(10);
    expect(raw.received.filter((f) => f.type === FrameType.PONG)).toHaveLength(6);
  });
});

describe('a host answering from inside onAbort (re-entrancy, issue 11.1)', () => {
  it('a clamped call answered inside onAbort gets exactly that one reply, and its slot is free', () => {
    const sent: number[] = [];
    let now = 0;
    const engine: ServerEngine = new ServerEngine({
      send: (bytes) => {
        const f = parseFrame(bytes);
        if (typeof f !== 'string') sent.push(f.type);
      },
      dedup: { maxDeadlineMs: 100 },
      hooks: {
        onCall: () => {}, // runs until aborted
        onAbort: (call) => engine.respondOk(call, new Uint8Array([1]), now),
      },
    });
    const header: FrameHeader = { type: FrameType.REQUEST, flags: 0, attempt: 0, session: 1, id: 1 };
    engine.receive(encodeRequestFrame(header, 5000, encodeMethodName('svc.m'), new Uint8Array(0), undefined, undefined, CodecId.MSGPACK), PEER, now); // clamped to 100 ms
    now = engine.nextTimerAt()!;
    expect(now).toBe(100);
    engine.onTimer(now);
    expect(sent).toEqual([FrameType.RESPONSE]);
    expect(engine.stats()).toMatchObject({ running: 0, responses: 1, errors: 0, deadlineAborts: 1, cacheEntries: 1 });
  });
});
