// What the server engine sends for a handler's outcome and for the client's
// control frames (server/reply-sender.ts, call-control.ts; protocol.md §5.2,
// §5.3, §5.5, §5.8, §6.4, §7.3): the reply and error bodies, reply metadata,
// the message-size limit, notifications, idempotent methods, a reply in
// fragments and its acknowledgement, CANCEL at each stage, and the drops.
import { describe, expect, it } from 'vitest';
import { decodeErrorBody } from '../src/wire/error-body.js';
import { encodeFragmentAck } from '../src/wire/fragment-ack.js';
import { Flag, FrameType } from '../src/wire/frame-header.js';
import { encodeFrame } from '../src/wire/frame.js';
import { encodeMetadataBlock } from '../src/wire/metadata.js';
import { encodeMethodName, encodeRequestFrame } from '../src/wire/request-body.js';
import type { ServerEngineOptions } from '../src/server/server-engine.js';
import type { PeerAddress } from '../src/transport/transport.js';
import { scriptedServer } from './scripted-server.js';

const A: PeerAddress = Object.freeze({ address: '10.0.0.1', family: 'sim', port: 1111 });
const SESSION = 7;

const request = (id: number, attempt = 0, flags = 0) =>
  encodeRequestFrame({ type: FrameType.REQUEST, flags, attempt, session: SESSION, id }, 5000, encodeMethodName('svc.m'), new Uint8Array(0), 0xffffffff, 0, 2);
const control = (type: FrameType, id: number, body: Uint8Array = new Uint8Array(0), flags = 0, attempt = 0) => encodeFrame({ type, flags, attempt, session: SESSION, id }, body);

function server(options: Partial<Omit<ServerEngineOptions, 'send' | 'hooks'>> = {}, idempotent = false) {
  const { engine, out, calls, aborts, drops } = scriptedServer(options, idempotent);
  return { engine, out, calls, aborts, drops };
}

describe('replies', () => {
  it('an error outcome: ERROR with code, hint, message and details, echoing the attempt', () => {
    const { engine, out, calls } = server();
    engine.receive(request(1, 2), A, 0);
    engine.respond(calls[0]!, { ok: false, code: 'NOT_FOUND', message: 'none', details: Uint8Array.of(9), retryAfterMs: 40 }, 1);
    expect(out.map((f) => [f.type, f.flags, f.attempt, f.id])).toEqual([[FrameType.ERROR, 0, 2, 1]]);
    const b = decodeErrorBody(out[0]!.body);
    expect(b.ok && { ...b.value, details: [...b.value.details] }).toEqual({ code: 5, retryAfterMs: 40, message: 'none', details: [9] });
    expect(engine.stats()).toMatchObject({ errors: 1, responses: 0 });
  });

  it('reply metadata: HAS_METADATA, the block before the payload (or the error body)', () => {
    const { engine, out, calls } = server();
    const block = encodeMetadataBlock({ k: 'v' }, 100) as Uint8Array;
    engine.receive(request(1), A, 0);
    engine.receive(request(2), A, 0);
    engine.respondOk(calls[0]!, Uint8Array.of(5), 1, block);
    engine.respond(calls[1]!, { ok: false, code: 'INTERNAL', message: 'x', metadata: block }, 1);
    expect(out.map((f) => [f.type, f.flags, [...f.body]])).toEqual([
      [FrameType.RESPONSE, Flag.HAS_METADATA, [...block, 5]],
      [FrameType.ERROR, Flag.HAS_METADATA, [...block, 13, 0, 0, 0, 0, 0, 1, 0x78]],
    ]);
  });

  it('a reply above the message limit: ERROR RESOURCE_EXHAUSTED naming both sizes, no metadata', () => {
    const { engine, out, calls } = server({ reassembly: { maxMessageBytes: 50 } });
    engine.receive(request(1), A, 0);
    engine.respondOk(calls[0]!, new Uint8Array(45), 1, encodeMetadataBlock({ k: 'v' }, 100) as Uint8Array);
    expect(out.map((f) => [f.type, f.flags])).toEqual([[FrameType.ERROR, 0]]);
    const b = decodeErrorBody(out[0]!.body);
    expect(b.ok && [b.value.code, b.value.message]).toEqual([8, "reply is 53 bytes, above the server's 50-byte message limit"]);
    expect(engine.stats()).toMatchObject({ errors: 1, responses: 0 });
  });

  it('a notification’s outcome sends nothing', () => {
    const { engine, out, calls } = server();
    engine.receive(request(1, 0, Flag.NO_REPLY), A, 0);
    engine.respondOk(calls[0]!, Uint8Array.of(1), 1);
    engine.receive(request(2, 0, Flag.NO_REPLY), A, 0);
    engine.respond(calls[1]!, { ok: false, code: 'INTERNAL', message: 'x' }, 1);
    expect(out).toEqual([]);
    expect(engine.stats()).toMatchObject({ responses: 0, errors: 0, notifications: 2 });
  });

  it('an idempotent method’s reply is not cached: a retransmission runs it again', () => {
    const { engine, calls } = server({}, true);
    engine.receive(request(1), A, 0);
    engine.respondOk(calls[0]!, Uint8Array.of(1), 1);
    engine.receive(request(1, 1), A, 2);
    expect(calls.map((c) => c.id)).toEqual([1, 1]);
    expect(engine.stats().cacheEntries).toBe(1);
  });

  it('a reply in fragments: every fragment at once, the last asking for an ack; the full ack frees the reply bytes', () => {
    const { engine, out, calls } = server({ maxDatagramBytes: 100 });
    engine.receive(request(1), A, 0);
    engine.respondOk(calls[0]!, new Uint8Array(200), 1);
    expect(out.map((f) => [f.type, f.flags, f.fragment?.index, f.body.length])).toEqual([
      [FrameType.RESPONSE, Flag.FRAGMENT, 0, 76],
      [FrameType.RESPONSE, Flag.FRAGMENT, 1, 76],
      [FrameType.RESPONSE, Flag.FRAGMENT | Flag.ACK_REQUESTED, 2, 48],
    ]);
    expect(engine.stats()).toMatchObject({ responses: 1, cacheBytes: 600 + 200 });
    expect(engine.nextTimerAt()).toBe(1 + 200); // the reply's probe timer: its PTO before a sample
    engine.receive(control(FrameType.FRAGMENT_ACK, 1, encodeFragmentAck({ ackedType: FrameType.RESPONSE, cumulative: 3, ranges: [] }, 100)), A, 11);
    expect(engine.stats()).toMatchObject({ cacheBytes: 600, cacheEntries: 1 });
  });

  it('a reply with metadata in fragments: HAS_METADATA on every fragment, the block counted in the body', () => {
    const { engine, out, calls } = server({ maxDatagramBytes: 100 });
    engine.receive(request(1), A, 0);
    engine.respondOk(calls[0]!, new Uint8Array(150), 1, encodeMetadataBlock({ k: 'v' }, 100) as Uint8Array);
    expect(out.map((f) => [f.flags, f.fragment?.index])).toEqual([
      [Flag.FRAGMENT | Flag.HAS_METADATA, 0],
      [Flag.FRAGMENT | Flag.HAS_METADATA, 1],
      [Flag.FRAGMENT | Flag.HAS_METADATA | Flag.ACK_REQUESTED, 2],
    ]);
    expect(out.reduce((n, f) => n + f.body.length, 0)).toBe(158);
  });

  it('a partial ack: what it made room for goes out; a STALLED one resends what is missing', () => {
    const { engine, out, calls } = server({ maxDatagramBytes: 100 });
    engine.receive(request(1), A, 0);
    engine.respondOk(calls[0]!, new Uint8Array(200), 1);
    out.length = 0;
    engine.receive(control(FrameType.FRAGMENT_ACK, 1, encodeFragmentAck({ ackedType: FrameType.RESPONSE, cumulative: 1, ranges: [[2, 3]] }, 100)), A, 5);
    expect(out).toEqual([]);
    engine.receive(control(FrameType.FRAGMENT_ACK, 1, encodeFragmentAck({ ackedType: FrameType.RESPONSE, cumulative: 1, ranges: [[2, 3]] }, 100), Flag.ACK_REQUESTED, 1), A, 50);
    expect(out.map((f) => [f.fragment?.index, f.attempt])).toEqual([[1, 1]]);
  });
});

describe('control frames', () => {
  it('CANCEL: a queued call never runs; a running one is aborted; a finished one is untouched', () => {
    const { engine, out, calls, aborts } = server({ admission: { maxRunning: 1 } });
    engine.receive(request(1), A, 0);
    engine.receive(request(2), A, 0);
    engine.receive(control(FrameType.CANCEL, 2), A, 1);
    engine.receive(control(FrameType.CANCEL, 1), A, 2);
    expect(aborts).toEqual(['1 cancelled']);
    engine.respondOk(calls[0]!, Uint8Array.of(1), 3); // the aborted handler's late reply
    expect(calls.map((c) => c.id)).toEqual([1]);
    expect(out).toEqual([]);
    expect(engine.stats()).toMatchObject({ cancelled: 2, running: 0, queued: 0 });
    engine.receive(request(3), A, 4);
    engine.respondOk(calls[1]!, Uint8Array.of(1), 5);
    engine.receive(control(FrameType.CANCEL, 3), A, 6);
    expect(engine.stats().cancelled).toBe(2);
  });

  it('a FRAGMENT_ACK that does not decode, or for a call with no reply in fragments, is dropped', () => {
    const { engine, calls, drops } = server();
    engine.receive(control(FrameType.FRAGMENT_ACK, 1, new Uint8Array(3)), A, 0);
    engine.receive(request(1), A, 0);
    engine.respondOk(calls[0]!, Uint8Array.of(1), 1);
    engine.receive(control(FrameType.FRAGMENT_ACK, 1, encodeFragmentAck({ ackedType: FrameType.RESPONSE, cumulative: 1, ranges: [] }, 100)), A, 2);
    engine.receive(control(FrameType.FRAGMENT_ACK, 9, encodeFragmentAck({ ackedType: FrameType.RESPONSE, cumulative: 1, ranges: [] }, 100)), A, 2);
    expect(drops).toEqual(['truncated', 'unknown-call', 'unknown-call']);
  });

  it('a VALIDATE_ECHO with no validator configured is a bad token', () => {
    const { engine, drops } = server();
    engine.receive(control(FrameType.VALIDATE_ECHO, 1, Uint8Array.of(1, 2)), A, 0);
    expect(drops).toEqual(['bad-token']);
  });
});
