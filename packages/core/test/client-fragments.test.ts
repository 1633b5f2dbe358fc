// Requests and replies in fragments at the client engine
// (client/request-transfer.ts, reply-handling.ts, reply-receiver.ts;
// protocol.md §7.3, §7.4, §8.1): the request's own probe timer against a
// silent server, the reply ending the request transfer, mismatched and
// duplicate reply fragments, reply metadata across fragments, and a
// fragmented call pushed back and sent again from its first fragment.
import { describe, expect, it } from 'vitest';
import { ClientEngine, type ClientEngineOptions } from '../src/client/client-engine.js';
import type { CallOutcome } from '../src/client/call-types.js';
import { encodeErrorBody } from '../src/wire/error-body.js';
import { decodeFragmentAck } from '../src/wire/fragment-ack.js';
import { Flag, FrameType } from '../src/wire/frame-header.js';
import { encodeFrame, type Frame } from '../src/wire/frame.js';
import { bytesIO } from '../src/wire/byte-io.js';
import { encodeMetadataBlock, withMetadataBlock } from '../src/wire/metadata.js';
import { framesOf, METHOD, SERVER } from './engine-pair.js';

function client(options: Partial<ClientEngineOptions> = {}) {
  const sent: Array<{ frame: Frame; at: number }> = [];
  const events: string[] = [];
  let now = 0;
  const engine = new ClientEngine({
    send: (bytes) => sent.push(...framesOf(bytes).map((frame) => ({ frame, at: now }))),
    random: () => 0.5,
    maxDatagramBytes: 100,
    hooks: { onDrop: (r) => events.push(`drop ${r}`), onPushback: (i) => events.push(`pushback ${i.retryAfterMs}`) },
    ...options,
  });
  const outcomes: CallOutcome[] = [];
  const call = (payloadBytes: number, deadlineAt = 5000) => {
    const id = engine.call({ peer: SERVER, method: METHOD, payload: new Uint8Array(payloadBytes), deadlineAt }, now, (o) => outcomes.push(o));
    if (typeof id !== 'number') throw id;
    return id;
  };
  const receive = (bytes: Uint8Array, at: number) => {
    now = at;
    engine.receive(bytes, SERVER, at);
  };
  const tick = (at: number) => {
    now = at;
    engine.onTimer(at);
  };
  const reply = (id: number, total: number, index: number, flags = 0, body?: Uint8Array) =>
    encodeFrame({ type: FrameType.RESPONSE, flags, attempt: 0, session: engine.session, id }, body ?? new Uint8Array(Math.min(10, total - index * 10)).fill(index), { totalBytes: total, index, fragmentBytes: 10 });
  const requestFrames = () => sent.filter((s) => s.frame.type === FrameType.REQUEST);
  return { engine, sent, events, outcomes, call, receive, tick, reply, requestFrames };
}

describe('the request’s probe timer', () => {
  it('a silent server: the call’s round at its RTO resends every fragment; the transfer’s probe (PTO after that) the first, flagged', () => {
    const { engine, call, tick, requestFrames } = client();
    call(150); // 14 + 1 + 150 = 165 body bytes: 3 fragments of 76
    tick(engine.nextTimerAt()!);
    tick(engine.nextTimerAt()!);
    expect(requestFrames().map((s) => [s.at, s.frame.fragment?.index, s.frame.attempt, s.frame.flags & Flag.ACK_REQUESTED])).toEqual([
      [0, 0, 0, 0],
      [0, 1, 0, 0],
      [0, 2, 0, Flag.ACK_REQUESTED],
      [200, 0, 1, 0],
      [200, 1, 1, 0],
      [200, 2, 1, Flag.ACK_REQUESTED],
      [400, 0, 1, Flag.ACK_REQUESTED],
    ]);
    expect(engine.stats()).toMatchObject({ requestProbes: 1, retransmits: 1 });
  });

  it('the first reply fragment ends the request transfer: no more request fragments', () => {
    const { engine, call, receive, tick, reply, requestFrames } = client();
    const id = call(150);
    receive(reply(id, 30, 0), 20);
    const before = requestFrames().length;
    tick(engine.nextTimerAt()!);
    // The call's timer now asks for the missing reply fragments (STALLED), never for request fragments.
    expect(requestFrames().length).toBe(before);
    expect(engine.stats().requestProbes).toBe(0);
  });
});

describe('reply fragments', () => {
  it('a fragment of another shape for the same call is dropped as malformed; a duplicate is ignored unless flagged', () => {
    const { engine, sent, events, outcomes, call, receive, reply } = client({ maxDatagramBytes: 1200 });
    const id = call(1);
    receive(reply(id, 30, 0), 5);
    receive(reply(id, 40, 1), 6);
    expect(events).toEqual(['drop malformed']);
    const acksBefore = sent.filter((s) => s.frame.type === FrameType.FRAGMENT_ACK).length;
    receive(reply(id, 30, 0), 7);
    expect(sent.filter((s) => s.frame.type === FrameType.FRAGMENT_ACK).length).toBe(acksBefore);
    receive(reply(id, 30, 0, Flag.ACK_REQUESTED), 8);
    const acks = sent.filter((s) => s.frame.type === FrameType.FRAGMENT_ACK).map((s) => decodeFragmentAck(s.frame.body));
    expect(acks.at(-1)).toEqual({ ok: true, value: { ackedType: FrameType.RESPONSE, cumulative: 1, ranges: [] } });
    expect(outcomes).toEqual([]);
    expect(engine.stats().drops).toEqual({ malformed: 1 });
  });

  it('reply metadata split across fragments reaches the caller whole', () => {
    const { engine, outcomes, call, receive } = client({ maxDatagramBytes: 1200 });
    const id = call(1);
    const block = encodeMetadataBlock({ key: 'value-value' }, 100) as Uint8Array; // 2 + 4 + 3 + 11 = 20 bytes
    const whole = withMetadataBlock(block, Uint8Array.of(7, 8, 9));
    for (const index of [2, 0, 1]) {
      const piece = whole.subarray(index * 10, index * 10 + 10);
      receive(encodeFrame({ type: FrameType.RESPONSE, flags: Flag.HAS_METADATA, attempt: 0, session: engine.session, id }, piece, { totalBytes: whole.length, index, fragmentBytes: 10 }), 5 + index);
    }
    const o = outcomes[0]!;
    expect(o.ok && [[...o.metadata!], [...o.payload]]).toEqual([[['key', 'value-value']], [7, 8, 9]]);
  });
});

describe('a fragmented call pushed back', () => {
  it('is sent again from its first fragment after the pause, carrying the deadline left then', () => {
    const { events, call, receive, tick, requestFrames, engine } = client();
    const id = call(150, 3000);
    const refusal = encodeErrorBody({ code: 8, retryAfterMs: 100, message: 'full' });
    receive(encodeFrame({ type: FrameType.ERROR, flags: Flag.REJECTED, attempt: 0, session: engine.session, id }, refusal), 10);
    expect(events).toEqual(['pushback 100']);
    const before = requestFrames().length;
    tick(110);
    const again = requestFrames().slice(before);
    expect(again.map((s) => [s.frame.fragment?.index, s.frame.attempt])).toEqual([
      [0, 1],
      [1, 1],
      [2, 1],
    ]);
    expect(bytesIO.readU32(again[0]!.frame.body, 0)).toBe(2890);
  });
});
