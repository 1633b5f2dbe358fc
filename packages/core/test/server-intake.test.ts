// What a REQUEST does at the server engine (server/request-intake.ts,
// protocol.md §5.8, §6.2, §6.3, §8.1): duplicates answered by state (ACK while
// running, the cached reply once done, nothing for a notification or a
// cancelled call), refusals with their exact code, flags, hint and message
// (full, expired, metadata above the cap, a retransmission that may predate a
// restart, a copy behind the low-water mark), and the deadline clamp.
import { describe, expect, it } from 'vitest';
import { bytesIO } from '../src/wire/byte-io.js';
import { decodeErrorBody } from '../src/wire/error-body.js';
import { Flag, FrameType } from '../src/wire/frame-header.js';
import { encodeFrame } from '../src/wire/frame.js';
import { encodeMetadataBlock, withMetadataBlock } from '../src/wire/metadata.js';
import { encodeMethodName, encodeRequestFrame, NO_DEADLINE } from '../src/wire/request-body.js';
import type { ServerEngineOptions } from '../src/server/server-engine.js';
import type { PeerAddress } from '../src/transport/transport.js';
import { scriptedServer } from './scripted-server.js';

const A: PeerAddress = Object.freeze({ address: '10.0.0.1', family: 'sim', port: 1111 });

interface Req {
  session?: number;
  id: number;
  method?: string;
  attempt?: number;
  flags?: number;
  deadlineMs?: number;
  span?: number;
  incarnation?: number;
  payload?: Uint8Array;
}

function request(r: Req): Uint8Array {
  const header = { type: FrameType.REQUEST, flags: r.flags ?? 0, attempt: r.attempt ?? 0, session: r.session ?? 7, id: r.id };
  return encodeRequestFrame(header, r.deadlineMs ?? 5000, encodeMethodName(r.method ?? 'svc.m'), r.payload ?? new Uint8Array(0), r.span ?? NO_SPAN_NONE, r.incarnation ?? 0, 2);
}
const NO_SPAN_NONE = 0xffffffff;

function server(options: Partial<Omit<ServerEngineOptions, 'send' | 'hooks'>> = {}, idempotent = false) {
  const { engine, out, calls, drops } = scriptedServer(options, idempotent);
  const errors = () =>
    out
      .filter((f) => f.type === FrameType.ERROR)
      .map((f) => {
        const b = decodeErrorBody(f.body);
        if (!b.ok) throw new Error(b.error);
        return { id: f.id, attempt: f.attempt, flags: f.flags, code: b.value.code, retryAfterMs: b.value.retryAfterMs, message: b.value.message, details: [...b.value.details] };
      });
  return { engine, out, calls, drops, errors };
}

const incarnationBytes = (n: number) => {
  const b = new Uint8Array(4);
  bytesIO.writeU32(b, 0, n);
  return [...b];
};

describe('duplicates', () => {
  it('while the handler runs: an ACK carrying the incarnation, each time, counted', () => {
    const { engine, out, calls } = server();
    engine.receive(request({ id: 1 }), A, 0);
    engine.receive(request({ id: 1, attempt: 1 }), A, 10);
    engine.receive(request({ id: 1, attempt: 2 }), A, 20);
    expect(calls).toHaveLength(1);
    expect(out.map((f) => [f.type, f.attempt, [...f.body]])).toEqual([
      [FrameType.ACK, 1, incarnationBytes(engine.incarnation)],
      [FrameType.ACK, 2, incarnationBytes(engine.incarnation)],
    ]);
    expect(engine.stats()).toMatchObject({ requests: 1, duplicatesInProgress: 2, duplicatesReplayed: 0 });
  });

  it('once answered: the cached reply again, echoing the duplicate’s attempt', () => {
    const { engine, out, calls } = server();
    engine.receive(request({ id: 1 }), A, 0);
    engine.respondOk(calls[0]!, Uint8Array.of(4, 2), 5);
    engine.receive(request({ id: 1, attempt: 3 }), A, 10);
    expect(out.map((f) => [f.type, f.attempt, [...f.body]])).toEqual([
      [FrameType.RESPONSE, 0, [4, 2]],
      [FrameType.RESPONSE, 3, [4, 2]],
    ]);
    expect(engine.stats()).toMatchObject({ responses: 1, duplicatesReplayed: 1 });
  });

  it('a notification’s copy, or a copy of a cancelled call, is dropped', () => {
    const { engine, out, calls, drops } = server();
    engine.receive(request({ id: 1, flags: Flag.NO_REPLY }), A, 0);
    engine.receive(request({ id: 1, flags: Flag.NO_REPLY }), A, 1);
    engine.receive(request({ id: 2 }), A, 2);
    engine.receive(encodeFrame({ type: FrameType.CANCEL, flags: 0, attempt: 0, session: 7, id: 2 }, new Uint8Array(0)), A, 3);
    engine.receive(request({ id: 2, attempt: 1 }), A, 4);
    expect(calls.map((c) => [c.id, c.noReply])).toEqual([
      [1, true],
      [2, false],
    ]);
    expect(drops).toEqual(['duplicate', 'cancelled-call']);
    expect(out).toEqual([]);
    expect(engine.stats()).toMatchObject({ notifications: 1, requests: 1, cancelled: 1 });
  });
});

describe('refusals', () => {
  it('a deadline of 0 ms left is dropped as expired', () => {
    const { engine, calls, drops } = server();
    engine.receive(request({ id: 1, deadlineMs: 0 }), A, 0);
    expect([calls.length, drops]).toEqual([0, ['expired']]);
  });

  it('no room: RESOURCE_EXHAUSTED, REJECTED, the retry-after hint and the incarnation; a notification is dropped as overloaded', () => {
    const { engine, calls, drops, errors } = server({ admission: { maxRunning: 1, maxQueued: 1, retryAfterMs: 70 } });
    engine.receive(request({ id: 1 }), A, 0);
    engine.receive(request({ id: 2 }), A, 0);
    engine.receive(request({ id: 3 }), A, 0);
    engine.receive(request({ id: 4, flags: Flag.NO_REPLY }), A, 0);
    expect(calls.map((c) => c.id)).toEqual([1]);
    expect(errors()).toEqual([
      { id: 3, attempt: 0, flags: Flag.REJECTED, code: 8, retryAfterMs: 70, message: 'the server is at its concurrency limit; try again later', details: incarnationBytes(engine.incarnation) },
    ]);
    expect(drops).toEqual(['overloaded']);
    expect(engine.stats()).toMatchObject({ rejected: 2, running: 1, queued: 1 });
  });

  it('request metadata above the cap: RESOURCE_EXHAUSTED naming both sizes, not REJECTED, no hint; a notification dropped as oversize', () => {
    const { engine, calls, drops, errors } = server({ maxMetadataBytes: 10 });
    const block = encodeMetadataBlock({ k: 'vvvvv' }, 100) as Uint8Array; // 12 bytes
    engine.receive(request({ id: 1, flags: Flag.HAS_METADATA, payload: withMetadataBlock(block, Uint8Array.of(1)) }), A, 0);
    engine.receive(request({ id: 2, flags: Flag.HAS_METADATA | Flag.NO_REPLY, payload: block }), A, 0);
    expect(calls).toEqual([]);
    expect(errors()).toEqual([{ id: 1, attempt: 0, flags: 0, code: 8, retryAfterMs: 0, message: "request metadata is 12 bytes, above the server's 10-byte limit", details: [] }]);
    expect(drops).toEqual(['oversize']);
  });

  it('request metadata within the cap reaches the handler; the payload is what follows it', () => {
    const { engine, calls } = server({ maxMetadataBytes: 12 });
    const block = encodeMetadataBlock({ k: 'vvvvv' }, 100) as Uint8Array;
    engine.receive(request({ id: 1, flags: Flag.HAS_METADATA, payload: withMetadataBlock(block, Uint8Array.of(1)) }), A, 0);
    expect(calls.map((c) => [[...c.metadata!], [...c.payload]])).toEqual([[[['k', 'vvvvv']], [1]]]);
  });

  it('a malformed metadata block is dropped', () => {
    const { engine, calls, drops } = server();
    engine.receive(request({ id: 1, flags: Flag.HAS_METADATA, payload: Uint8Array.of(0, 1, 0) }), A, 0);
    expect([calls.length, drops]).toEqual([0, ['malformed']]);
  });

  it('a retransmission that may predate a restart: ABORTED, MAY_HAVE_RUN, not run; a first copy, or one naming this incarnation, runs', () => {
    const { engine, calls, errors } = server({ startupGraceMs: 1000 });
    engine.receive(request({ id: 1, attempt: 1 }), A, 999);
    engine.receive(request({ id: 2, attempt: 1, incarnation: 12345 }), A, 2000);
    engine.receive(request({ id: 3, attempt: 0 }), A, 999);
    engine.receive(request({ id: 4, attempt: 1, incarnation: engine.incarnation }), A, 999);
    engine.receive(request({ id: 5, attempt: 1 }), A, 1000);
    expect(calls.map((c) => c.id)).toEqual([3, 4, 5]);
    const refusal = { attempt: 1, flags: Flag.MAY_HAVE_RUN, code: 10, retryAfterMs: 0, message: 'may have run before a server restart; not run again', details: [] };
    expect(errors()).toEqual([
      { id: 1, ...refusal },
      { id: 2, ...refusal },
    ]);
    expect(engine.stats()).toMatchObject({ restartRefused: 2, duplicatesRefused: 2 });
  });

  it('an idempotent method is not refused by the restart rule', () => {
    const { engine, calls } = server({ startupGraceMs: 1000 }, true);
    engine.receive(request({ id: 1, attempt: 1 }), A, 10);
    expect(calls.map((c) => c.id)).toEqual([1]);
  });
});

describe('the low-water mark (§6.3)', () => {
  it('a copy behind the mark: dropped; a retransmission of it also refused ABORTED, MAY_HAVE_RUN and SESSION_STALE', () => {
    const { engine, calls, drops, errors } = server();
    engine.receive(request({ id: 10, span: 0 }), A, 0);
    engine.receive(request({ id: 12, span: 1 }), A, 1); // oldest in flight: 11
    engine.receive(request({ id: 9 }), A, 2);
    engine.receive(request({ id: 9, attempt: 1 }), A, 3);
    engine.receive(request({ id: 9, attempt: 1, flags: Flag.NO_REPLY }), A, 4);
    expect(calls.map((c) => c.id)).toEqual([10, 12]);
    expect(drops).toEqual(['duplicate', 'duplicate', 'duplicate']);
    expect(errors()).toEqual([
      { id: 9, attempt: 1, flags: Flag.MAY_HAVE_RUN | Flag.SESSION_STALE, code: 10, retryAfterMs: 0, message: "behind this session's low-water mark; start a new session", details: [] },
    ]);
    expect(engine.stats().duplicatesRefused).toBe(1);
  });

  it('a span of 2^31 or more says nothing', () => {
    const { engine, calls } = server();
    engine.receive(request({ id: 10, span: 0 }), A, 0);
    engine.receive(request({ id: 0x8000_0010, span: 0x8000_0000 }), A, 1);
    engine.receive(request({ id: 5 }), A, 2);
    expect(calls.map((c) => c.id)).toEqual([10, 0x8000_0010, 5]);
  });
});

describe('the call the handler sees', () => {
  it('every field: peer, session, id, method, target, payload, deadline, noReply, authenticatedAs, codec, metadata; key is itself', () => {
    const { engine, calls } = server();
    engine.receive(request({ session: 9, id: 4, method: 'svc.x', payload: Uint8Array.of(3), deadlineMs: 70 }), A, 5, { authenticatedAs: 'alice' });
    const c = calls[0]!;
    expect({ ...c, payload: [...c.payload] }).toMatchObject({ peer: A, session: 9, id: 4, method: 'svc.x', target: { idempotent: false }, payload: [3], deadlineAt: 75, noReply: false, authenticatedAs: 'alice', codec: 2, metadata: undefined });
    expect(c.key).toBe(c);
    engine.receive(request({ session: 9, id: 5, flags: Flag.NO_REPLY }), A, 6);
    expect([calls[1]!.noReply, calls[1]!.authenticatedAs]).toEqual([true, undefined]);
  });
});

describe('deadlines', () => {
  it('the handler’s deadline is now + the time left; none given, or above maxDeadlineMs, is clamped to it', () => {
    const { engine, calls } = server({ dedup: { maxDeadlineMs: 60_000 } });
    engine.receive(request({ id: 1, deadlineMs: 250 }), A, 100);
    engine.receive(request({ id: 2, deadlineMs: NO_DEADLINE }), A, 100);
    engine.receive(request({ id: 3, deadlineMs: 60_001 }), A, 100);
    engine.receive(request({ id: 4, deadlineMs: 60_000 }), A, 100);
    expect(calls.map((c) => c.deadlineAt)).toEqual([350, 60_100, 60_100, 60_100]);
  });
});
