// GOAWAY (protocol.md §5.9) at the engines: the frame, the server's drain
// (GOAWAYs sent, refusals, duplicates, the drain's end) and the client's
// checks before it heeds one. Raw frames in, frames out; no I/O.
import { describe, expect, it } from 'vitest';
import { ClientEngine } from '../src/client/client-engine.js';
import { bytesIO } from '../src/wire/byte-io.js';
import { Flag, FrameType } from '../src/wire/frame-header.js';
import { encodeFrame, parseFrame, type Frame } from '../src/wire/frame.js';
import { encodeMethodName, encodeRequestFrame } from '../src/wire/request-body.js';
import { decodeErrorBody } from '../src/wire/error-body.js';
import { encodeGoAwayFrame, parseGoAwayBody } from '../src/wire/goaway.js';
import { ServerEngine, type IncomingCall } from '../src/server/server-engine.js';
import type { PeerAddress } from '../src/transport/transport.js';
import { delivering } from './delivering.js';

const SERVER: PeerAddress = Object.freeze({ address: '10.0.0.2', family: 'sim', port: 2222 });
const A: PeerAddress = Object.freeze({ address: '10.0.0.1', family: 'sim', port: 1111 });
const B: PeerAddress = Object.freeze({ address: '10.0.0.3', family: 'sim', port: 3333 });

function request(session: number, id: number, method = 'svc.m', attempt = 0, flags = 0): Uint8Array {
  return encodeRequestFrame({ type: FrameType.REQUEST, flags, attempt, session, id }, 5000, encodeMethodName(method), new Uint8Array(0), 0xffffffff, 0, 2);
}

function server() {
  const out: { frame: Frame; to: PeerAddress }[] = [];
  const calls: IncomingCall[] = [];
  let drained = 0;
  const engine = delivering(new ServerEngine({
    send: (bytes, to) => {
      const f = parseFrame(bytes);
      if (typeof f !== 'string') out.push({ frame: f, to });
    },
    hooks: { onCall: (c) => calls.push(c), onDrained: () => drained++ },
    startedAt: 0,
    startupGraceMs: 0,
    random: () => 0.5,
  }));
  return { engine, out, calls, drained: () => drained };
}

describe('GOAWAY frame', () => {
  it('encodes 14 + 8 bytes and parses back; a short body is truncated, incarnation 0 malformed', () => {
    const bytes = encodeGoAwayFrame(0x01020304, 2500, 0xa1b2c3d4);
    expect([...bytes]).toEqual([0x75, 0x72, 1, 12, 0, 0, 1, 2, 3, 4, 0, 0, 0, 0, 0, 0, 0x09, 0xc4, 0xa1, 0xb2, 0xc3, 0xd4]);
    const frame = parseFrame(bytes) as Frame;
    expect(frame).toMatchObject({ type: FrameType.GOAWAY, flags: 0, attempt: 0, session: 0x01020304, id: 0 });
    expect(parseGoAwayBody(frame.body)).toEqual({ drainMs: 2500, incarnation: 0xa1b2c3d4 });
    expect(parseGoAwayBody(frame.body.subarray(0, 7))).toBe('truncated');
    expect(parseGoAwayBody(new Uint8Array(8))).toBe('malformed');
    // Bytes after the eighth are ignored (protocol.md §10).
    expect(parseGoAwayBody(new Uint8Array([0, 0, 0, 1, 0, 0, 0, 2, 9, 9]))).toEqual({ drainMs: 1, incarnation: 2 });
  });
});

describe('ServerEngine.goAway', () => {
  it('sends one GOAWAY per source that sent a REQUEST, in the session it used last, then refuses new calls as going away', () => {
    const { engine, out, calls } = server();
    engine.receive(request(11, 1), A, 0);
    engine.receive(request(12, 1), A, 5); // A's newer session
    engine.receive(request(21, 1), B, 6);
    engine.receive(encodeFrame({ type: FrameType.PING, flags: 0, attempt: 0, session: 99, id: 1 }, new Uint8Array(0)), { address: '10.0.0.9', family: 'sim', port: 9 }, 7);
    expect(calls).toHaveLength(3);
    out.length = 0;
    expect(engine.goAway(10, 3000, 1000)).toBe(2);
    const goaways = out.filter((o) => o.frame.type === FrameType.GOAWAY);
    expect(goaways.map((o) => [o.to.port, o.frame.session])).toEqual([
      [1111, 12],
      [3333, 21],
    ]);
    expect(parseGoAwayBody(goaways[0]!.frame.body)).toEqual({ drainMs: 3000, incarnation: engine.incarnation });
    expect(engine.goAway(11, 3000, 1000)).toBe(0);

    out.length = 0;
    engine.receive(request(12, 2), A, 20);
    expect(calls).toHaveLength(3);
    expect(out).toHaveLength(1);
    const refusal = out[0]!.frame;
    expect(refusal).toMatchObject({ type: FrameType.ERROR, flags: Flag.REJECTED, session: 12, id: 2, attempt: 0 });
    const body = decodeErrorBody(refusal.body);
    expect(body.ok && { code: body.value.code, retryAfterMs: body.value.retryAfterMs, message: body.value.message }).toEqual({
      code: 14,
      retryAfterMs: 0,
      message: 'the server is going away',
    });
    expect(body.ok && bytesIO.readU32(body.value.details, 0)).toBe(engine.incarnation);

    // A retransmission of an admitted call is answered (ACK), not refused.
    out.length = 0;
    engine.receive(request(12, 1, 'svc.m', 1), A, 21);
    expect(out.map((o) => o.frame.type)).toEqual([FrameType.ACK]);
    // A notification is dropped; a built-in method still runs.
    engine.receive(request(12, 3, 'svc.m', 0, Flag.NO_REPLY), A, 22);
    engine.receive(request(12, 4, 'udprpc.health'), A, 23);
    expect(calls.map((c) => c.method)).toEqual(['svc.m', 'svc.m', 'svc.m', 'udprpc.health']);
    expect(engine.stats()).toMatchObject({ draining: true, goAways: 2, goingAwayRefused: 2, drops: { 'going-away': 1 } });
  });

  it('ends the drain lingerMs after the last handler finished, or at graceMs while one still runs', () => {
    const first = server();
    first.engine.receive(request(1, 1), A, 0);
    first.engine.goAway(100, 3000, 700);
    expect(first.engine.nextTimerAt()).toBe(3100);
    first.engine.respondOk(first.calls[0]!, new Uint8Array(0), 400);
    expect(first.engine.nextTimerAt()).toBe(1100);
    first.engine.onTimer(1099);
    expect(first.drained()).toBe(0);
    first.engine.onTimer(1100);
    expect(first.drained()).toBe(1);
    first.engine.onTimer(1200);
    expect(first.drained()).toBe(1);

    const second = server();
    second.engine.receive(request(1, 1), A, 0);
    second.engine.goAway(100, 2000, 700);
    second.engine.onTimer(2100);
    expect(second.drained()).toBe(1);
  });
});

describe('ClientEngine and GOAWAY', () => {
  function client() {
    const heeded: { peer: PeerAddress; drainMs: number; incarnation: number }[] = [];
    const engine = new ClientEngine({ send: () => {}, random: () => 0.25, codec: 2, hooks: { onGoAway: (i) => heeded.push(i) } });
    const firstId = engine.call({ peer: SERVER, method: encodeMethodName('svc.m'), payload: new Uint8Array(0), deadlineAt: 5000 }, 0, () => {});
    if (typeof firstId !== 'number') throw firstId;
    return { engine, heeded, firstId };
  }

  it('heeds a GOAWAY only in its session, from an address it called, with the incarnation it knows', () => {
    const { engine, heeded } = client();
    const session = engine.session;
    engine.receive(encodeGoAwayFrame((session + 1) >>> 0, 1000, 7), SERVER, 1);
    engine.receive(encodeGoAwayFrame(session, 1000, 7), B, 2);
    engine.receive(encodeGoAwayFrame(session, 1000, 7).subarray(0, 21), SERVER, 3);
    expect(heeded).toEqual([]);
    expect(engine.stats().drops).toEqual({ 'unknown-call': 1, 'wrong-peer': 1, truncated: 1 });
    engine.receive(encodeGoAwayFrame(session, 1000, 7), SERVER, 4);
    expect(heeded).toEqual([{ peer: SERVER, drainMs: 1000, incarnation: 7 }]);
    expect(engine.stats().goAways).toBe(1);
  });

  it('ignores a GOAWAY naming another incarnation than the one an ACK taught it (a late one from before a restart)', () => {
    const { engine, heeded, firstId } = client();
    const ack = new Uint8Array(4);
    bytesIO.writeU32(ack, 0, 8);
    // The ACK answers the call's first transmission (id: the engine's first).
    const callId = firstId;
    engine.receive(encodeFrame({ type: FrameType.ACK, flags: 0, attempt: 0, session: engine.session, id: callId }, ack), SERVER, 1);
    engine.receive(encodeGoAwayFrame(engine.session, 1000, 7), SERVER, 2);
    expect(heeded).toEqual([]);
    expect(engine.stats().drops).toEqual({ duplicate: 1 });
    engine.receive(encodeGoAwayFrame(engine.session, 1000, 8), SERVER, 3);
    expect(heeded).toHaveLength(1);
  });
});
