// A call's deadline at the server engine (server/call-deadlines.ts,
// protocol.md §6.4): a queued call that expires never runs and frees its
// place; a running one is aborted, its slot reclaimed after the overrun
// grace; a clamped deadline is answered DEADLINE_EXCEEDED; a finished entry
// is forgotten once its lifetime ends. Exact timer schedule and counters.
import { describe, expect, it } from 'vitest';
import { decodeErrorBody } from '../src/wire/error-body.js';
import { FrameType } from '../src/wire/frame-header.js';
import { encodeMethodName, encodeRequestFrame, NO_DEADLINE } from '../src/wire/request-body.js';
import type { ServerEngineOptions } from '../src/server/server-engine.js';
import type { PeerAddress } from '../src/transport/transport.js';
import { scriptedServer } from './scripted-server.js';

const A: PeerAddress = Object.freeze({ address: '10.0.0.1', family: 'sim', port: 1111 });

const request = (id: number, deadlineMs: number, attempt = 0) =>
  encodeRequestFrame({ type: FrameType.REQUEST, flags: 0, attempt, session: 7, id }, deadlineMs, encodeMethodName('svc.m'), new Uint8Array(0), 0xffffffff, 0, 2);

function server(options: Partial<Omit<ServerEngineOptions, 'send' | 'hooks'>> = {}) {
  const { engine, out, calls, aborts } = scriptedServer(options);
  return { engine, out, calls, aborts };
}

describe('deadlines at the server', () => {
  it('queued and expired: never runs, its place goes at once, no reply; counted', () => {
    const { engine, out, calls, aborts } = server({ admission: { maxRunning: 1 } });
    engine.receive(request(1, 5000), A, 0);
    engine.receive(request(2, 100), A, 0);
    expect(engine.nextTimerAt()).toBe(100);
    engine.onTimer(100);
    expect([calls.map((c) => c.id), aborts, out]).toEqual([[1], [], []]);
    expect(engine.stats()).toMatchObject({ deadlineAborts: 1, queued: 0, running: 1 });
    engine.respondOk(calls[0]!, new Uint8Array(0), 101);
    expect(calls).toHaveLength(1);
  });

  it('running at its deadline: aborted; the slot comes back overrunGraceMs later if the handler has not returned', () => {
    const { engine, calls, aborts } = server({ admission: { maxRunning: 1, overrunGraceMs: 300 } });
    engine.receive(request(1, 100), A, 0);
    engine.receive(request(2, 5000), A, 0);
    engine.onTimer(100);
    expect(aborts).toEqual(['1 deadline']);
    expect(engine.nextTimerAt()).toBe(400);
    engine.onTimer(399);
    expect(calls.map((c) => c.id)).toEqual([1]);
    engine.onTimer(400);
    expect(calls.map((c) => c.id)).toEqual([1, 2]);
    expect(engine.stats()).toMatchObject({ deadlineAborts: 1, handlerOverruns: 1, running: 1 });
    // Its late reply is ignored.
    engine.respondOk(calls[0]!, new Uint8Array(0), 500);
    expect(engine.stats()).toMatchObject({ responses: 0, running: 1 });
  });

  it('a deadline clamped to maxDeadlineMs is answered DEADLINE_EXCEEDED, queued or running', () => {
    const { engine, out, calls, aborts } = server({ admission: { maxRunning: 1 }, dedup: { maxDeadlineMs: 1000 } });
    engine.receive(request(1, NO_DEADLINE), A, 0);
    engine.receive(request(2, 2000), A, 0);
    engine.onTimer(1000);
    expect(aborts).toEqual(['1 deadline']);
    expect(out.map((f) => [f.type, f.id])).toEqual([
      [FrameType.ERROR, 1],
      [FrameType.ERROR, 2],
    ]);
    const b = decodeErrorBody(out[0]!.body);
    expect(b.ok && [b.value.code, b.value.message]).toEqual([4, 'the server allows at most 1000 ms per call']);
    expect(calls.map((c) => c.id)).toEqual([1]);
  });

  it('a finished entry is kept until its deadline plus graceMs, then forgotten', () => {
    const { engine, calls } = server({ dedup: { graceMs: 50 } });
    engine.receive(request(1, 100), A, 0);
    engine.respondOk(calls[0]!, new Uint8Array(0), 10);
    expect(engine.stats().cacheEntries).toBe(1);
    expect(engine.nextTimerAt()).toBe(150);
    engine.onTimer(149);
    expect(engine.stats().cacheEntries).toBe(1);
    engine.onTimer(150);
    expect(engine.stats().cacheEntries).toBe(0);
    expect(engine.nextTimerAt()).toBeUndefined();
  });
});
