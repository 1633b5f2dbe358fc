// The fields a client engine writes (protocol.md §5.1, §5.5, §6.3, §7.4):
// each REQUEST's remaining deadline, in-flight span, incarnation and codec;
// notifications; a renewed session; the CANCEL it does (not) send; and the
// FRAGMENT_ACKs that answer a reply in fragments, with the reply's size limit.
import { describe, expect, it } from 'vitest';
import { ClientEngine, type ClientEngineOptions } from '../src/client/client-engine.js';
import type { CallOutcome } from '../src/client/call-types.js';
import { decodeFragmentAck } from '../src/wire/fragment-ack.js';
import { Flag, FrameType } from '../src/wire/frame-header.js';
import { encodeFrame, type Frame } from '../src/wire/frame.js';
import { encodeMetadataBlock } from '../src/wire/metadata.js';
import { NO_SPAN, parseRequestBody, type RequestBody } from '../src/wire/request-body.js';
import type { PeerAddress } from '../src/transport/transport.js';
import { framesOf, METHOD, SERVER } from './engine-pair.js';

function client(options: Partial<ClientEngineOptions> = {}, random: () => number = () => 0.5) {
  const sent: Array<{ frame: Frame; to: PeerAddress }> = [];
  const engine = new ClientEngine({ send: (bytes, to) => sent.push(...framesOf(bytes).map((frame) => ({ frame, to }))), random, codec: 9, ...options });
  const outcomes: CallOutcome[] = [];
  const call = (now: number, deadlineAt: number, extra: { metadata?: Uint8Array; payload?: Uint8Array } = {}) => {
    const id = engine.call({ peer: SERVER, method: METHOD, payload: extra.payload ?? Uint8Array.of(1), deadlineAt, metadata: extra.metadata }, now, (o) => outcomes.push(o));
    if (typeof id !== 'number') throw id;
    return id;
  };
  const bodies = () => sent.filter((s) => s.frame.type === FrameType.REQUEST).map((s) => parseRequestBody(s.frame.body) as RequestBody);
  return { engine, sent, outcomes, call, bodies };
}

describe('REQUEST fields', () => {
  it('remaining deadline rounded up, at least 1 ms; codec; the in-flight span from the oldest call still pending', () => {
    const { engine, call, bodies } = client();
    const a = call(0.4, 100);
    const b = call(0.5, 1);
    const c = call(1, 5001);
    expect(bodies().map((x) => [x.deadlineMs, x.inFlightSpan, x.codec, x.method, [...x.payload]])).toEqual([
      [100, 0, 9, 'm', [1]],
      [1, 1, 9, 'm', [1]],
      [5000, 2, 9, 'm', [1]],
    ]);
    expect([b - a, c - b]).toEqual([1, 1]);
    engine.receive(encodeFrame({ type: FrameType.RESPONSE, flags: 0, attempt: 0, session: engine.session, id: a }, new Uint8Array(0)), SERVER, 2);
    engine.receive(encodeFrame({ type: FrameType.RESPONSE, flags: 0, attempt: 0, session: engine.session, id: c }, new Uint8Array(0)), SERVER, 2);
    call(3, 100);
    // b is still pending (its deadline timer has not run): the oldest.
    expect(bodies()[3]!.inFlightSpan).toBe(2);
  });

  it('request metadata: HAS_METADATA and the block before the payload', () => {
    const { sent, call } = client();
    const block = encodeMetadataBlock({ k: 'v' }, 100) as Uint8Array;
    call(0, 100, { metadata: block });
    const f = sent[0]!.frame;
    expect(f.flags).toBe(Flag.HAS_METADATA);
    expect([...(parseRequestBody(f.body) as RequestBody).payload]).toEqual([...block, 1]);
  });
});

describe('notify', () => {
  it('NO_REPLY, no span, no deadline unless given (then rounded up, at least 1), counted; sent once', () => {
    const { engine, sent } = client();
    expect(engine.notify({ peer: SERVER, method: METHOD, payload: Uint8Array.of(2) }, 0)).toBeUndefined();
    engine.notify({ peer: SERVER, method: METHOD, payload: Uint8Array.of(2), deadlineAt: 10.2 }, 0);
    engine.notify({ peer: SERVER, method: METHOD, payload: Uint8Array.of(2), deadlineAt: 10 }, 9.9);
    engine.notify({ peer: SERVER, method: METHOD, payload: Uint8Array.of(2), metadata: encodeMetadataBlock({ k: 'v' }, 100) as Uint8Array }, 0);
    engine.notify({ peer: SERVER, method: METHOD, payload: Uint8Array.of(2), deadlineAt: 10 }, 12); // already passed: 1 ms
    expect(sent.map((s) => [s.frame.flags, s.frame.attempt])).toEqual([
      [Flag.NO_REPLY, 0],
      [Flag.NO_REPLY, 0],
      [Flag.NO_REPLY, 0],
      [Flag.NO_REPLY | Flag.HAS_METADATA, 0],
      [Flag.NO_REPLY, 0],
    ]);
    expect(sent.map((s) => parseRequestBody(s.frame.body) as RequestBody).map((b) => [b.deadlineMs, b.inFlightSpan, b.incarnation, b.codec])).toEqual([
      [0xffffffff, NO_SPAN, 0, 9],
      [11, NO_SPAN, 0, 9],
      [1, NO_SPAN, 0, 9],
      [0xffffffff, NO_SPAN, 0, 9],
      [1, NO_SPAN, 0, 9],
    ]);
    expect(engine.stats()).toMatchObject({ notifications: 5, calls: 0 });
    expect(engine.nextTimerAt()).toBeUndefined();
  });

  it('a notification that does not fit one datagram is refused, naming both sizes', () => {
    const { engine, sent } = client({ maxDatagramBytes: 100 });
    const size = 14 + 14 + METHOD.length + 72;
    expect(engine.notify({ peer: SERVER, method: METHOD, payload: new Uint8Array(100 - 28 - METHOD.length) }, 0)).toBeUndefined();
    expect(engine.notify({ peer: SERVER, method: METHOD, payload: new Uint8Array(72) }, 0)).toMatchObject({
      code: 'RESOURCE_EXHAUSTED',
      message: `notification is ${size} bytes, above the 100-byte datagram limit`,
    });
    expect(sent).toHaveLength(1);
  });
});

describe('sessions', () => {
  it('SESSION_STALE renews the session even when the random source repeats itself', () => {
    const { engine, call } = client();
    const old = engine.session;
    expect(old).toBe(0x8000_0000);
    const id = call(0, 100);
    engine.receive(encodeFrame({ type: FrameType.ERROR, flags: Flag.SESSION_STALE, attempt: 0, session: old, id }, Uint8Array.of(10, 0, 0, 0, 0, 0, 0)), SERVER, 1);
    expect(engine.session).toBe(0x8000_0001);
  });
});

describe('a reply in fragments', () => {
  const fragment = (engine: ClientEngine, id: number, total: number, index: number, flags = 0) =>
    encodeFrame({ type: FrameType.RESPONSE, flags, attempt: 0, session: engine.session, id }, new Uint8Array(Math.min(10, total - index * 10)).fill(index), { totalBytes: total, index, fragmentBytes: 10 });
  const acks = (sent: Array<{ frame: Frame }>) =>
    sent.filter((s) => s.frame.type === FrameType.FRAGMENT_ACK).map((s) => {
      const a = decodeFragmentAck(s.frame.body);
      return a.ok ? [s.frame.flags, a.value.ackedType, a.value.cumulative, a.value.ranges] : a.error;
    });

  it('reassembled whole; an ACK_REQUESTED fragment is acknowledged at once; the last one completes it with a final ack', () => {
    const { engine, sent, outcomes, call } = client();
    const id = call(0, 5000);
    engine.receive(fragment(engine, id, 30, 0), SERVER, 1);
    engine.receive(fragment(engine, id, 30, 2, Flag.ACK_REQUESTED), SERVER, 2);
    expect(acks(sent)).toEqual([[0, FrameType.RESPONSE, 1, [[2, 3]]]]);
    engine.receive(fragment(engine, id, 30, 1), SERVER, 3);
    expect(acks(sent)).toEqual([
      [0, FrameType.RESPONSE, 1, [[2, 3]]],
      [0, FrameType.RESPONSE, 3, []],
    ]);
    expect(outcomes).toEqual([{ ok: true, payload: Uint8Array.from({ length: 30 }, (_, i) => Math.floor(i / 10)) }]);
  });

  it('a reply above maxMessageBytes fails the call (the handler did run) and tells the server', () => {
    const { engine, sent, outcomes, call } = client({ maxMessageBytes: 25 });
    const id = call(0, 5000);
    engine.receive(fragment(engine, id, 30, 0), SERVER, 1);
    const o = outcomes[0]!;
    expect(o.ok ? undefined : [o.error.code, o.error.message]).toEqual(['RESOURCE_EXHAUSTED', 'reply is 30 bytes, above the 25-byte message limit']);
    expect(sent.map((s) => s.frame.type)).toEqual([FrameType.REQUEST, FrameType.CANCEL]);
    expect(engine.stats().errors).toBe(1);
  });

  it('a reply stalled with gaps: the call asks for the missing fragments (STALLED) after about 1.25 RTT', () => {
    const { engine, sent, call } = client();
    const id = call(0, 5000);
    engine.receive(fragment(engine, id, 30, 0), SERVER, 40); // RTT sample 40: SRTT 40
    engine.receive(fragment(engine, id, 30, 2, Flag.ACK_REQUESTED), SERVER, 41);
    expect(engine.nextTimerAt()).toBe(41 + 50);
    engine.onTimer(91);
    expect(acks(sent).at(-1)).toEqual([Flag.ACK_REQUESTED, FrameType.RESPONSE, 1, [[2, 3]]]);
  });
});
