// Edges of the server's per-call and per-address state found by mutation
// testing (server/call-control.ts, session-state.ts, source-table.ts,
// reply-paths.ts; protocol.md §6.3, §6.4, §7.3, §7.5, §8.3): a CANCEL for no
// call, the slot reclaim after a CANCEL, the attempt a FRAGMENT_ACK echoes,
// a valid VALIDATE_ECHO, finished calls released by the low-water mark, and
// the caps' choices of what to forget.
import { describe, expect, it } from 'vitest';
import { encodeFragmentAck } from '../src/wire/fragment-ack.js';
import { FrameType } from '../src/wire/frame-header.js';
import { encodeFrame } from '../src/wire/frame.js';
import { encodeMethodName, encodeRequestFrame } from '../src/wire/request-body.js';
import type { ServerEngineOptions } from '../src/server/server-engine.js';
import { ReplyPaths } from '../src/server/reply-paths.js';
import { SessionState } from '../src/server/session-state.js';
import { defaultSourceLimits } from '../src/server/source-limits.js';
import { SourceTable } from '../src/server/source-table.js';
import type { PeerAddress } from '../src/transport/transport.js';
import { scriptedServer } from './scripted-server.js';

const A: PeerAddress = Object.freeze({ address: '10.0.0.1', family: 'sim', port: 1111 });
const request = (id: number, attempt = 0, span = 0xffffffff, deadlineMs = 5000) =>
  encodeRequestFrame({ type: FrameType.REQUEST, flags: 0, attempt, session: 7, id }, deadlineMs, encodeMethodName('svc.m'), new Uint8Array(0), span, 0, 2);
const control = (type: FrameType, id: number, body: Uint8Array = new Uint8Array(0), attempt = 0) => encodeFrame({ type, flags: 0, attempt, session: 7, id }, body);

function server(options: Partial<Omit<ServerEngineOptions, 'send' | 'hooks'>> = {}) {
  const { engine, out, calls, aborts, drops } = scriptedServer(options);
  return { engine, out, calls, aborts, drops };
}

describe('control frames', () => {
  it('a CANCEL for a call the server does not have changes nothing', () => {
    const { engine, out, drops } = server();
    engine.receive(control(FrameType.CANCEL, 42), A, 0);
    expect([out, drops, engine.stats().cancelled]).toEqual([[], [], 0]);
  });

  it('after a CANCEL, a running handler keeps its slot until its deadline plus overrunGraceMs at most', () => {
    const { engine, calls } = server({ admission: { maxRunning: 1, overrunGraceMs: 300 } });
    engine.receive(request(1, 0, 0xffffffff, 1000), A, 0);
    engine.receive(request(2), A, 0);
    engine.receive(control(FrameType.CANCEL, 1), A, 10);
    expect(engine.nextTimerAt()).toBe(1300);
    engine.onTimer(1300);
    expect(calls.map((c) => c.id)).toEqual([1, 2]);
    expect(engine.stats().handlerOverruns).toBe(1);
  });

  it('fragments resent for an ack echo the highest attempt seen, not a lower one', () => {
    const { engine, out, calls } = server({ maxDatagramBytes: 100 });
    engine.receive(request(1), A, 0);
    engine.respondOk(calls[0]!, new Uint8Array(200), 1);
    const stalled = (attempt: number) => encodeFrame({ type: FrameType.FRAGMENT_ACK, flags: 0x04, attempt, session: 7, id: 1 }, encodeFragmentAck({ ackedType: FrameType.RESPONSE, cumulative: 1, ranges: [] }, 100));
    out.length = 0;
    engine.receive(stalled(3), A, 50);
    engine.receive(stalled(2), A, 100);
    expect(out.map((f) => [f.fragment?.index, f.attempt])).toEqual([
      [1, 3],
      [2, 3],
      [1, 3],
      [2, 3],
    ]);
  });

  it('a valid VALIDATE_ECHO resends a finished call’s reply; for a running call it sends nothing', () => {
    const validator = { mint: () => Uint8Array.of(1), verify: (token: Uint8Array) => token[0] === 1 };
    const { engine, out, calls } = server({ validator });
    engine.receive(request(1), A, 0);
    engine.receive(request(2), A, 0);
    engine.respondOk(calls[0]!, Uint8Array.of(9), 1);
    out.length = 0;
    engine.receive(control(FrameType.VALIDATE_ECHO, 2, Uint8Array.of(1), 0), A, 2);
    expect(out).toEqual([]);
    engine.receive(control(FrameType.VALIDATE_ECHO, 1, Uint8Array.of(1), 4), A, 3);
    expect(out.map((f) => [f.type, f.id, f.attempt, [...f.body]])).toEqual([[FrameType.RESPONSE, 1, 4, [9]]]);
    expect(engine.stats().validations).toBe(1);
  });
});

describe('the low-water mark releases finished calls', () => {
  it('a finished call below the client’s oldest call in flight is forgotten at once', () => {
    const { engine, out, calls } = server();
    engine.receive(request(1, 0, 0), A, 0);
    engine.respondOk(calls[0]!, new Uint8Array(0), 1);
    expect(engine.stats().cacheEntries).toBe(1);
    engine.receive(request(2, 0, 0), A, 2); // oldest in flight: 2
    expect(engine.stats().cacheEntries).toBe(1); // 1 went, 2 came
    out.length = 0;
    engine.receive(request(1, 1), A, 3); // a retransmission of 1: behind the mark, not replayed from a cache entry
    expect(out.map((f) => f.type)).toEqual([FrameType.ERROR]);
    expect(calls.map((c) => c.id)).toEqual([1, 2]);
  });
});

describe('session state', () => {
  it('the eviction mark only moves up; the low-water mark moves up on each advance', () => {
    const s = new SessionState(0, { lostStateAt: -Infinity, sessions: new Map() });
    s.noteEvicted(5);
    s.noteEvicted(10);
    expect([s.evictedUpTo, s.mayHaveBeenEvicted(8)]).toEqual([10, true]);
    s.noteId(100);
    s.advance(50, () => {});
    s.advance(60, () => {});
    expect(s.lowWater).toBe(60);
  });
});

describe('source table choices', () => {
  it('a new source over the byte cap makes room by forgetting the oldest', () => {
    const t = new SourceTable({ ...defaultSourceLimits, maxStateBytes: 400 + 16 * 300 + 150 });
    const a = t.get('a', 0);
    for (let id = 1; id <= 16; id++) t.session(a, id, 0, Infinity); // 400 + 16 × 300 = 5200
    t.get('b', 0); // 5600 > 5350: a goes
    expect([[...t.entries()].map(([k]) => k), a.forgotten, t.bytes]).toEqual([['b'], true, 400]);
    const u = new SourceTable({ ...defaultSourceLimits, maxStateBytes: 400 + 16 * 300 + 150 });
    const x = u.get('x', 0);
    for (let id = 1; id <= 14; id++) u.session(x, id, 0, Infinity); // 4600
    u.get('y', 0); // 5000: fits, nothing forgotten
    expect([...u.entries()].map(([k]) => k)).toEqual(['x', 'y']);
  });

  it('making room for a session never forgets its own source, even the oldest', () => {
    const t = new SourceTable({ ...defaultSourceLimits, maxStateBytes: 400 + 16 * 300 + 400 });
    const a = t.get('a', 0);
    const b = t.get('b', 0);
    for (let id = 1; id <= 15; id++) t.session(a, id, 0, Infinity); // 800 + 4500 = 5300
    t.session(a, 16, 0, Infinity); // 5600: fits exactly
    expect(t.size).toBe(2);
    t.session(b, 1, 0, Infinity); // 5900: b's source keeps; a (the oldest, not b) goes
    expect([a.forgotten, b.forgotten]).toEqual([true, false]);
  });

  it('a source seen again within a second of its last move keeps its place, measured from when it was created', () => {
    const t = new SourceTable({ ...defaultSourceLimits, maxSources: 2 });
    t.get('a', 5000);
    t.get('b', 5000);
    t.get('a', 5500);
    t.get('c', 5500); // a is still the oldest
    expect([...t.entries()].map(([k]) => k)).toEqual(['b', 'c']);
  });
});

describe('reply paths', () => {
  it('a probe confirming only the base size leaves nothing to black-hole', () => {
    const paths = new ReplyPaths(new SourceTable(defaultSourceLimits), 1200, () => 9000);
    paths.onProbe({ session: 1, id: 1, probeBytes: 1200, confirmedBytes: 1200 }, A, 'p', 0);
    paths.blackHole('p', 1);
    expect(paths.blackHoles).toBe(0);
  });
});
