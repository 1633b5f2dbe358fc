// What the server's frames for a call do at the client engine
// (client/reply-handling.ts, call-lifecycle.ts; protocol.md §3.2, §5.3,
// §6.3, §8.1): which ones are dropped and why, how an ERROR becomes the
// call's RpcError, a REJECTED refusal pushing the call back (same id, next
// attempt, after the hint), an ACK's incarnation carried by the next calls,
// a stale session renewed. Hand-made server frames, exact counters.
import { describe, expect, it } from 'vitest';
import { ClientEngine } from '../src/client/client-engine.js';
import type { CallOutcome } from '../src/client/call-types.js';
import { encodeErrorBody } from '../src/wire/error-body.js';
import { encodeFrame, type Frame } from '../src/wire/frame.js';
import { Flag, FrameType } from '../src/wire/frame-header.js';
import { bytesIO } from '../src/wire/byte-io.js';
import { parseRequestBody } from '../src/wire/request-body.js';
import type { PeerAddress } from '../src/transport/transport.js';
import { framesOf, METHOD, SERVER } from './engine-pair.js';

function client(deadlineAt = 5000) {
  const sent: Array<{ frame: Frame; to: PeerAddress }> = [];
  const events: string[] = [];
  const engine = new ClientEngine({
    send: (bytes, to) => sent.push(...framesOf(bytes).map((frame) => ({ frame, to }))),
    random: () => 0.5, // jitter factor exactly 1
    hooks: {
      onPushback: (i) => events.push(`pushback ${i.id} attempt ${i.attempt} after ${i.retryAfterMs}`),
      onAck: (i) => events.push(`ack ${i.id}`),
      onDrop: (reason) => events.push(`drop ${reason}`),
    },
  });
  const outcomes: CallOutcome[] = [];
  const call = (now = 0, dl = deadlineAt) => {
    const id = engine.call({ peer: SERVER, method: METHOD, payload: new Uint8Array([1]), deadlineAt: dl }, now, (o) => outcomes.push(o));
    if (typeof id !== 'number') throw id;
    return id;
  };
  const frameTo = (id: number, type: FrameType, flags: number, attempt: number, body: Uint8Array, session = engine.session) =>
    encodeFrame({ type, flags, attempt, session, id }, body);
  const requests = () => sent.filter((s) => s.frame.type === FrameType.REQUEST).map((s) => s.frame);
  return { engine, sent, events, outcomes, call, frameTo, requests };
}

const error = (code: number, retryAfterMs: number, message: string, details?: Uint8Array) => encodeErrorBody({ code, retryAfterMs, message, ...(details ? { details } : {}) });

describe('replies the client does not take', () => {
  it('unknown id, another session, another address or port: dropped and counted; the call goes on', () => {
    const { engine, events, outcomes, call, frameTo } = client();
    const id = call();
    engine.receive(frameTo((id + 1) >>> 0, FrameType.RESPONSE, 0, 0, new Uint8Array(0)), SERVER, 1);
    engine.receive(frameTo(id, FrameType.RESPONSE, 0, 0, new Uint8Array(0), (engine.session + 1) >>> 0), SERVER, 1);
    engine.receive(frameTo(id, FrameType.RESPONSE, 0, 0, new Uint8Array(0)), { ...SERVER, port: SERVER.port + 1 }, 1);
    engine.receive(frameTo(id, FrameType.RESPONSE, 0, 0, new Uint8Array(0)), { ...SERVER, address: '10.9.9.9' }, 1);
    expect(events).toEqual(['drop unknown-call', 'drop unknown-call', 'drop wrong-peer', 'drop wrong-peer']);
    expect(engine.stats().drops).toEqual({ 'unknown-call': 2, 'wrong-peer': 2 });
    expect(outcomes).toEqual([]);
    engine.receive(frameTo(id, FrameType.RESPONSE, 0, 0, new Uint8Array([7])), SERVER, 2);
    expect(outcomes).toEqual([{ ok: true, payload: new Uint8Array([7]) }]);
    expect(engine.stats()).toMatchObject({ calls: 1, responses: 1, errors: 0 });
    expect(engine.peerTiming(SERVER)?.srttMs).toBe(2);
  });

  it('an ERROR body too short, or a frame type the client never receives, is dropped', () => {
    const { engine, events, outcomes, call, frameTo } = client();
    const id = call();
    engine.receive(frameTo(id, FrameType.ERROR, 0, 0, new Uint8Array(6)), SERVER, 1);
    engine.receive(frameTo(id, FrameType.REQUEST, 0, 0, new Uint8Array(0)), SERVER, 1);
    expect(events).toEqual(['drop truncated', 'drop unexpected-frame']);
    expect(outcomes).toEqual([]);
  });
});

describe('an ERROR ends the call with its RpcError', () => {
  it('code, message, details; remote; no retry-after without one', () => {
    const { engine, outcomes, call, frameTo } = client();
    const id = call();
    engine.receive(frameTo(id, FrameType.ERROR, 0, 0, error(5, 0, 'no such thing', new Uint8Array([1, 2]))), SERVER, 1);
    expect(outcomes).toHaveLength(1);
    const o = outcomes[0]!;
    if (o.ok) throw new Error('expected an error');
    expect({ code: o.error.code, message: o.error.message, remote: o.error.remote, retryAfterMs: o.error.retryAfterMs, mayHaveRun: o.error.mayHaveRun, refused: o.error.refused }).toEqual({
      code: 'NOT_FOUND',
      message: 'no such thing',
      remote: true,
      retryAfterMs: undefined,
      mayHaveRun: false,
      refused: false,
    });
    expect(o.detailsBytes).toEqual(new Uint8Array([1, 2]));
    expect(engine.stats()).toMatchObject({ errors: 1, responses: 0, pushbacks: 0 });
  });

  it('a retry-after without REJECTED is passed on, not waited for', () => {
    const { engine, outcomes, call, frameTo, requests } = client();
    const id = call();
    engine.receive(frameTo(id, FrameType.ERROR, 0, 0, error(14, 250, 'busy')), SERVER, 1);
    const o = outcomes[0]!;
    expect(o.ok ? undefined : [o.error.code, o.error.retryAfterMs, o.error.refused]).toEqual(['UNAVAILABLE', 250, false]);
    expect(requests()).toHaveLength(1);
  });

  it('MAY_HAVE_RUN: mayHaveRun, never pushed back even with REJECTED, and the incarnation the call carried is forgotten', () => {
    const { engine, outcomes, call, frameTo, requests } = client();
    const first = call();
    engine.receive(frameTo(first, FrameType.ACK, 0, 0, Uint8Array.of(0, 0, 0, 9)), SERVER, 1);
    engine.receive(frameTo(first, FrameType.RESPONSE, 0, 0, new Uint8Array(0)), SERVER, 2);
    const id = call(3);
    expect(parseRequestBody(requests()[1]!.body)).toMatchObject({ incarnation: 9 });
    engine.receive(frameTo(id, FrameType.ERROR, Flag.REJECTED | Flag.MAY_HAVE_RUN, 0, error(10, 100, 'may have run')), SERVER, 4);
    const o = outcomes[1]!;
    expect(o.ok ? undefined : [o.error.code, o.error.mayHaveRun, o.error.refused, o.error.retryAfterMs]).toEqual(['ABORTED', true, false, 100]);
    expect(engine.stats().pushbacks).toBe(0);
    call(5);
    expect(parseRequestBody(requests()[2]!.body)).toMatchObject({ incarnation: 0 });
  });

  it('SESSION_STALE: the next calls go in a new session', () => {
    const { engine, call, frameTo } = client();
    const id = call();
    const session = engine.session;
    engine.receive(frameTo(id, FrameType.ERROR, Flag.SESSION_STALE, 0, error(10, 0, 'stale')), SERVER, 1);
    expect(engine.session).not.toBe(session);
    expect(engine.stats()).toMatchObject({ sessionsRenewed: 1, errors: 1 });
  });
});

describe('REJECTED with a retry-after: pushed back (§8.1)', () => {
  it('waits out the hint, then sends the same id with the next attempt; a second refusal of the same round is a duplicate', () => {
    const { engine, events, outcomes, call, frameTo, requests } = client();
    const id = call();
    const refusal = frameTo(id, FrameType.ERROR, Flag.REJECTED, 0, error(8, 100, 'full'));
    engine.receive(refusal, SERVER, 10);
    expect(outcomes).toEqual([]);
    expect(events).toEqual([`pushback ${id} attempt 1 after 100`]);
    expect(engine.stats()).toMatchObject({ pushbacks: 1, errors: 0, window: { inFlight: 0, queued: 1 } });
    engine.receive(refusal, SERVER, 20);
    expect(events.slice(1)).toEqual(['drop duplicate']);
    expect(engine.nextTimerAt()).toBe(110);
    engine.onTimer(110);
    expect(requests().map((f) => [f.id, f.attempt])).toEqual([
      [id, 0],
      [id, 1],
    ]);
    expect(engine.stats()).toMatchObject({ window: { inFlight: 1, queued: 0 } });
    // The refusal answered attempt 0 and timed the path (10 ms: RTO at its 30 ms floor); the backoff restarts from it.
    expect(engine.peerTiming(SERVER)).toEqual({ srttMs: 10, rtoMs: 30 });
    expect(engine.nextTimerAt()).toBe(140);
  });

  it('a hint that reaches the deadline fails the call at once: RESOURCE_EXHAUSTED, refused, with the hint', () => {
    const { engine, outcomes, call, frameTo } = client(1000);
    const id = call();
    engine.receive(frameTo(id, FrameType.ERROR, Flag.REJECTED, 0, error(8, 990, 'full')), SERVER, 10);
    const o = outcomes[0]!;
    expect(o.ok ? undefined : [o.error.code, o.error.refused, o.error.retryAfterMs, o.error.mayHaveRun]).toEqual(['RESOURCE_EXHAUSTED', true, 990, false]);
    expect(o.ok ? undefined : o.detailsBytes).toEqual(new Uint8Array(0));
    expect(engine.stats()).toMatchObject({ pushbacks: 0, errors: 1 });
  });

  it('a hint ending 1 ms before the deadline is still waited out', () => {
    const { engine, outcomes, call, frameTo } = client(1000);
    const id = call();
    engine.receive(frameTo(id, FrameType.ERROR, Flag.REJECTED, 0, error(8, 989, 'full')), SERVER, 10);
    expect(outcomes).toEqual([]);
    expect(engine.stats().pushbacks).toBe(1);
  });

  it('a refusal naming the refusing incarnation (4-byte details): the resend and later calls carry it', () => {
    const { engine, call, frameTo, requests } = client();
    const id = call();
    const details = new Uint8Array(4);
    bytesIO.writeU32(details, 0, 0xabcdef01);
    engine.receive(frameTo(id, FrameType.ERROR, Flag.REJECTED, 0, error(8, 50, 'restart', details)), SERVER, 10);
    engine.onTimer(60);
    expect(parseRequestBody(requests()[1]!.body)).toMatchObject({ incarnation: 0xabcdef01 });
    call(61);
    expect(parseRequestBody(requests()[2]!.body)).toMatchObject({ incarnation: 0xabcdef01 });
  });

  it('a refusal echoing an attempt not sent yet is a duplicate', () => {
    const { engine, events, outcomes, call, frameTo } = client();
    const id = call();
    engine.receive(frameTo(id, FrameType.ERROR, Flag.REJECTED, 1, error(8, 50, 'full')), SERVER, 10);
    expect([events, outcomes]).toEqual([['drop duplicate'], []]);
  });

  it('ACKs of the refused round are ignored while the call waits', () => {
    const { engine, events, call, frameTo } = client();
    const id = call();
    engine.receive(frameTo(id, FrameType.ERROR, Flag.REJECTED, 0, error(8, 100, 'full')), SERVER, 10);
    engine.receive(frameTo(id, FrameType.ACK, 0, 0, new Uint8Array(0)), SERVER, 11);
    expect(events.slice(1)).toEqual(['drop duplicate']);
    expect(engine.nextTimerAt()).toBe(110);
  });
});

describe('ACK', () => {
  it('reported once accepted; its incarnation is carried by later calls; 0 or a short body teaches nothing', () => {
    const { engine, events, call, frameTo, requests } = client();
    const a = call();
    engine.receive(frameTo(a, FrameType.ACK, 0, 0, Uint8Array.of(0, 0, 0, 0)), SERVER, 1);
    call(2);
    engine.receive(frameTo(a, FrameType.ACK, 0, 0, Uint8Array.of(0, 0, 7)), SERVER, 3);
    call(4);
    engine.receive(frameTo(a, FrameType.ACK, 0, 0, Uint8Array.of(0, 0, 0, 7)), SERVER, 5);
    call(6);
    expect(requests().map((f) => parseRequestBody(f.body)).map((b) => (typeof b === 'string' ? b : b.incarnation))).toEqual([0, 0, 0, 7]);
    expect(events).toEqual([`ack ${a}`, `ack ${a}`, `ack ${a}`]);
  });

  it('after an ACK the call probes one RTO later, backing off up to the acked probe interval', () => {
    const { engine, call, frameTo, requests } = client(100_000);
    const id = call();
    engine.receive(frameTo(id, FrameType.ACK, 0, 0, new Uint8Array(0)), SERVER, 10); // sample 10: RTO 30 (floor)
    const rto = engine.peerTiming(SERVER)!.rtoMs;
    expect(rto).toBe(30);
    const times: number[] = [];
    for (let i = 0; i < 8; i++) {
      const at = engine.nextTimerAt()!;
      times.push(at);
      engine.onTimer(at);
    }
    // Gaps 30, 60, 120, 240, 480, 960, then 1000 (the interval).
    expect(times).toEqual([40, 100, 220, 460, 940, 1900, 2900, 3900]);
    expect(requests()).toHaveLength(9);
  });
});
