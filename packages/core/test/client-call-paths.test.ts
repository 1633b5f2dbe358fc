// More of what a client engine does with a call (protocol.md §5.8, §6.6,
// §7.2, §8.1, §8.3): reply metadata and its cap, address validation echoes,
// group calls, early loss detection (packet and time thresholds), ICMP
// refusals ending calls to a dead port, and the per-peer window's limits.
import { describe, expect, it } from 'vitest';
import type { ClientEngineOptions } from '../src/client/client-engine.js';
import type { CallOutcome, GroupCollector } from '../src/client/call-types.js';
import { encodeErrorBody } from '../src/wire/error-body.js';
import { encodeFrame } from '../src/wire/frame.js';
import { Flag, FrameType } from '../src/wire/frame-header.js';
import { encodeMetadataBlock, withMetadataBlock } from '../src/wire/metadata.js';
import type { PeerAddress } from '../src/transport/transport.js';
import { METHOD, SERVER } from './engine-pair.js';
import { scriptedClient } from './scripted-client.js';

function client(options: Partial<ClientEngineOptions> = {}) {
  const { engine, sent, events } = scriptedClient(options);
  const outcomes: CallOutcome[] = [];
  const call = (now = 0, deadlineAt = 5000, group?: GroupCollector, peer = SERVER) => {
    const id = engine.call({ peer, method: METHOD, payload: new Uint8Array([1]), deadlineAt }, now, (o) => outcomes.push(o), group);
    if (typeof id !== 'number') throw id;
    return id;
  };
  const frameTo = (id: number, type: FrameType, flags: number, attempt: number, body: Uint8Array) => encodeFrame({ type, flags, attempt, session: engine.session, id }, body);
  const requests = () => sent.filter((s) => s.frame.type === FrameType.REQUEST).map((s) => [s.frame.id, s.frame.attempt]);
  return { engine, sent, events, outcomes, call, frameTo, requests };
}

const block = (init: Record<string, string>) => encodeMetadataBlock(init, 65_537) as Uint8Array;

describe('reply metadata', () => {
  it('a RESPONSE with HAS_METADATA: the block is taken off the payload and given to the caller', () => {
    const { engine, outcomes, call, frameTo } = client();
    const id = call();
    engine.receive(frameTo(id, FrameType.RESPONSE, Flag.HAS_METADATA, 0, withMetadataBlock(block({ k: 'v' }), Uint8Array.of(9))), SERVER, 1);
    const o = outcomes[0]!;
    expect(o.ok && [[...o.metadata!], o.payload]).toEqual([[['k', 'v']], Uint8Array.of(9)]);
  });

  it('an ERROR with HAS_METADATA: the error carries the metadata', () => {
    const { engine, outcomes, call, frameTo } = client();
    const id = call();
    engine.receive(frameTo(id, FrameType.ERROR, Flag.HAS_METADATA, 0, withMetadataBlock(block({ k: 'v' }), encodeErrorBody({ code: 3, retryAfterMs: 0, message: 'bad' }))), SERVER, 1);
    const o = outcomes[0]!;
    expect(o.ok ? undefined : [o.error.code, o.error.message, [...o.error.metadata!]]).toEqual(['INVALID_ARGUMENT', 'bad', [['k', 'v']]]);
  });

  it('a block above the client’s cap fails the call (the handler did run); a truncated one is dropped', () => {
    const { engine, events, outcomes, call, frameTo } = client({ maxMetadataBytes: 10 });
    const id = call();
    engine.receive(frameTo(id, FrameType.RESPONSE, Flag.HAS_METADATA, 0, Uint8Array.of(0, 20, 1)), SERVER, 1);
    expect(events).toEqual(['drop truncated']);
    engine.receive(frameTo(id, FrameType.RESPONSE, Flag.HAS_METADATA, 0, block({ k: 'vvvvv' })), SERVER, 1); // 2 + 4 + 1 + 5 = 12
    const o = outcomes[0]!;
    expect(o.ok ? undefined : [o.error.code, o.error.message, o.error.remote]).toEqual(['RESOURCE_EXHAUSTED', "reply metadata is 12 bytes, above the client's 10-byte limit", false]);
    expect(engine.stats()).toMatchObject({ errors: 1, responses: 0 });
  });
});

describe('VALIDATE (§8.3)', () => {
  it('echoed at once to the peer: same header, flags 0, the token as body; the call goes on', () => {
    const { engine, sent, outcomes, call, frameTo } = client();
    const id = call();
    engine.receive(frameTo(id, FrameType.VALIDATE, Flag.REJECTED, 0, Uint8Array.of(1, 2, 3)), SERVER, 1);
    const echo = sent.filter((s) => s.frame.type === FrameType.VALIDATE_ECHO);
    expect(echo.map((s) => ({ to: s.to, flags: s.frame.flags, attempt: s.frame.attempt, session: s.frame.session, id: s.frame.id, body: [...s.frame.body] }))).toEqual([
      { to: SERVER, flags: 0, attempt: 0, session: engine.session, id, body: [1, 2, 3] },
    ]);
    expect([outcomes.length, engine.stats().validations]).toEqual([0, 1]);
  });
});

describe('group calls (§6.6)', () => {
  const A: PeerAddress = { address: '10.0.0.5', family: 'sim', port: 1 };
  const B: PeerAddress = { address: '10.0.0.6', family: 'sim', port: 1 };
  const C: PeerAddress = { address: '10.0.0.7', family: 'sim', port: 1 };

  it('one reply per member, each once; a fragment or an oversize block is dropped; ends after maxReplies', () => {
    const { engine, events, outcomes, call, frameTo } = client({ maxMetadataBytes: 8 });
    const replies: Array<[string, CallOutcome]> = [];
    const id = call(0, 5000, { maxReplies: 3, onReply: (from, o) => replies.push([from.address, o]) });
    engine.receive(frameTo(id, FrameType.RESPONSE, 0, 0, Uint8Array.of(1)), A, 1);
    engine.receive(frameTo(id, FrameType.RESPONSE, 0, 0, Uint8Array.of(2)), A, 2);
    engine.receive(encodeFrame({ type: FrameType.RESPONSE, flags: 0, attempt: 0, session: engine.session, id }, Uint8Array.of(3), { totalBytes: 10, index: 0, fragmentBytes: 1 }), B, 3);
    engine.receive(frameTo(id, FrameType.RESPONSE, Flag.HAS_METADATA, 0, block({ k: 'vvvvv' })), B, 4);
    engine.receive(frameTo(id, FrameType.ACK, 0, 0, new Uint8Array(0)), B, 4); // not a reply: ignored
    expect(events).toEqual(['drop duplicate', 'drop malformed', 'drop oversize']);
    engine.receive(frameTo(id, FrameType.ERROR, 0, 0, encodeErrorBody({ code: 5, retryAfterMs: 0, message: 'no', details: Uint8Array.of(4) })), B, 5);
    expect(outcomes).toEqual([]);
    engine.receive(frameTo(id, FrameType.RESPONSE, 0, 0, Uint8Array.of(3)), C, 6);
    expect(replies.map(([from, o]) => [from, o.ok ? o.payload[0] : o.error.code, o.ok ? undefined : o.detailsBytes])).toEqual([
      ['10.0.0.5', 1, undefined],
      ['10.0.0.6', 'NOT_FOUND', Uint8Array.of(4)],
      ['10.0.0.7', 3, undefined],
    ]);
    expect(outcomes).toEqual([{ ok: true, payload: new Uint8Array(0) }]);
    expect(engine.stats()).toMatchObject({ responses: 3 });
  });

  it('a member’s VALIDATE is echoed to that member', () => {
    const { engine, sent, call, frameTo } = client();
    const id = call(0, 5000, { maxReplies: 9, onReply: () => {} });
    engine.receive(frameTo(id, FrameType.VALIDATE, 0, 0, Uint8Array.of(5)), B, 1);
    expect(sent.filter((s) => s.frame.type === FrameType.VALIDATE_ECHO).map((s) => s.to)).toEqual([B]);
  });
});

describe('early loss detection (§7.2)', () => {
  it('packet threshold: three later calls answered, the first is resent at once with the backoff restarted', () => {
    const { engine, events, call, frameTo, requests } = client();
    const ids = [0, 1, 2, 3].map(() => call(0));
    for (const [k, id] of ids.slice(1).entries()) engine.receive(frameTo(id, FrameType.RESPONSE, 0, 0, new Uint8Array(0)), SERVER, 50 + k);
    // After the first two answers the first call waits for its loss time (9/8 × ~50 ms after 0);
    // the third, at 52 ms, makes it lost at once.
    expect(requests()).toEqual([...ids.map((id) => [id, 0]), [ids[0], 1]]);
    expect(engine.stats()).toMatchObject({ retransmits: 1, lossRetransmits: 1 });
    expect(events.filter((e) => e.startsWith('retry'))).toHaveLength(1);
  });

  it('at a 0 ms RTT: after two answers armed at its 1 ms loss time; the third answer makes it lost at once', () => {
    const { engine, call, frameTo, requests } = client();
    const ids = [0, 1, 2, 3].map(() => call(0));
    // Answers at 0 ms: SRTT 0, loss delay max(9/8 × 0, 1 ms granularity) = 1 ms.
    engine.receive(frameTo(ids[1]!, FrameType.RESPONSE, 0, 0, new Uint8Array(0)), SERVER, 0);
    engine.receive(frameTo(ids[2]!, FrameType.RESPONSE, 0, 0, new Uint8Array(0)), SERVER, 0);
    expect(requests()).toHaveLength(4);
    expect(engine.nextTimerAt()).toBe(1); // its loss time: 0 + max(9/8 × 0, 1)
    engine.receive(frameTo(ids[3]!, FrameType.RESPONSE, 0, 0, new Uint8Array(0)), SERVER, 0);
    expect(requests()).toEqual([...ids.map((id) => [id, 0]), [ids[0], 1]]);
  });

  it('time threshold: armed at lastSent + 9/8 × RTT, resent when it fires', () => {
    const { engine, events, call, frameTo, requests } = client();
    const [a, b] = [call(0), call(0)];
    engine.receive(frameTo(b!, FrameType.RESPONSE, 0, 0, new Uint8Array(0)), SERVER, 8); // sample 8: loss delay 9
    expect(engine.nextTimerAt()).toBe(9);
    engine.onTimer(9);
    expect(requests()).toEqual([
      [a, 0],
      [b, 0],
      [a, 1],
    ]);
    // RTO after one 8 ms sample: 8 + 4 × 4 = 24, floored at 30.
    expect(events).toEqual([`retry ${a} attempt 1 rto 30`]);
    expect(engine.nextTimerAt()).toBe(9 + 30);
  });

  it('an answer to an earlier transmission is no evidence', () => {
    const { engine, call, frameTo, requests } = client();
    const a = call(0);
    const b = call(0);
    engine.onTimer(engine.nextTimerAt()!); // both retransmitted at their RTO
    expect(requests()).toHaveLength(4);
    engine.receive(frameTo(b, FrameType.RESPONSE, 0, 0, new Uint8Array(0)), SERVER, 201); // echoes attempt 0 of 2
    expect(requests()).toHaveLength(4);
    // No suspect: a keeps its backed-off timer, min(2 × 200, 250) ms after its retransmission at 200.
    expect(engine.nextTimerAt()).toBe(450);
    void a;
  });
});

describe('ICMP refusals (maxRefusals)', () => {
  it('the third refusal in a row ends every call to the peer with UNAVAILABLE; a reply in between starts the count over', () => {
    const { engine, events, outcomes, call, frameTo } = client();
    const a = call(0);
    const b = call(0);
    engine.unreachable(SERVER, 1);
    engine.unreachable(SERVER, 2);
    engine.receive(frameTo(a, FrameType.ACK, 0, 0, new Uint8Array(0)), SERVER, 3);
    engine.unreachable(SERVER, 4);
    engine.unreachable(SERVER, 5);
    expect(outcomes).toEqual([]);
    engine.unreachable({ ...SERVER, port: 9 }, 5); // a peer never called: nothing
    engine.unreachable(SERVER, 6);
    expect(outcomes.map((o) => (o.ok ? undefined : [o.error.code, o.error.message, o.error.details, o.error.mayHaveRun]))).toEqual([
      ['UNAVAILABLE', 'nothing is listening at udp://10.0.0.2:2222 (3 refusals in a row: ICMP port unreachable)', { refusals: 3 }, true],
      ['UNAVAILABLE', 'nothing is listening at udp://10.0.0.2:2222 (3 refusals in a row: ICMP port unreachable)', { refusals: 3 }, true],
    ]);
    expect(events).toEqual([`timeout ${a} after 1`, `timeout ${b} after 1`]);
    expect(engine.stats()).toMatchObject({ timeouts: 2 });
  });

  it('calls to a peer that never answered, or sent after the refusals began, did not run', () => {
    const { engine, outcomes, call } = client();
    call(0);
    engine.unreachable(SERVER, 1);
    call(2);
    engine.unreachable(SERVER, 3);
    engine.unreachable(SERVER, 4);
    expect(outcomes.map((o) => !o.ok && o.error.mayHaveRun)).toEqual([false, false]);
  });
});

describe('ICMP refusals and calls never sent', () => {
  it('a call still queued when the peer is found dead never reached it: not mayHaveRun; group calls are left alone', () => {
    const { engine, outcomes, call, frameTo } = client({ flow: { maxInFlightPerPeer: 1 } });
    const a = call(0);
    engine.receive(frameTo(a, FrameType.ACK, 0, 0, new Uint8Array(0)), SERVER, 1); // the server answered once
    call(2); // queued behind a
    call(2, 5000, { maxReplies: 2, onReply: () => {} }); // a group call to the same address
    for (const t of [3, 4, 5]) engine.unreachable(SERVER, t);
    expect(outcomes.map((o) => (o.ok ? 'ok' : `${o.error.code} ${o.error.mayHaveRun}`))).toEqual(['UNAVAILABLE true', 'UNAVAILABLE false']);
    expect(engine.stats()).toMatchObject({ timeouts: 2, window: { inFlight: 1, queued: 0 } });
  });
});

describe('the per-peer window (§8.1)', () => {
  it('whenFull fail: the call beyond maxInFlightPerPeer is refused at once, saying both limits', () => {
    const { engine, call } = client({ flow: { maxInFlightPerPeer: 1, whenFull: 'fail' } });
    call(0);
    const r = engine.call({ peer: SERVER, method: METHOD, payload: new Uint8Array(0), deadlineAt: 5000 }, 0, () => {});
    expect(r).toMatchObject({ code: 'RESOURCE_EXHAUSTED', message: '1 calls in flight and 0 queued to this server; the limits are 1 and 0' });
  });

  it('queue: waits FIFO until a slot frees; beyond maxQueuedPerPeer refused', () => {
    const { engine, outcomes, call, frameTo, requests } = client({ flow: { maxInFlightPerPeer: 1, maxQueuedPerPeer: 1 } });
    const a = call(0);
    const b = call(0);
    const r = engine.call({ peer: SERVER, method: METHOD, payload: new Uint8Array(0), deadlineAt: 5000 }, 0, () => {});
    expect(r).toMatchObject({ code: 'RESOURCE_EXHAUSTED', message: '1 calls in flight and 1 queued to this server; the limits are 1 and 1' });
    expect(engine.stats().window).toEqual({ inFlight: 1, queued: 1 });
    engine.receive(frameTo(a, FrameType.RESPONSE, 0, 0, new Uint8Array(0)), SERVER, 5);
    expect(requests()).toEqual([
      [a, 0],
      [b, 0],
    ]);
    expect(outcomes).toHaveLength(1);
  });

  it('a queued call whose deadline passes ends DEADLINE_EXCEEDED without being sent', () => {
    const { engine, outcomes, call, requests } = client({ flow: { maxInFlightPerPeer: 1 } });
    call(0, 5000);
    call(0, 100);
    expect(engine.nextTimerAt()).toBe(100);
    engine.onTimer(100);
    expect(outcomes.map((o) => !o.ok && o.error.code)).toEqual(['DEADLINE_EXCEEDED']);
    expect(requests()).toHaveLength(1);
    expect(engine.stats().window).toEqual({ inFlight: 1, queued: 0 });
  });

  it('during a pushback pause, a new call is refused with the pause left', () => {
    const { engine, call, frameTo } = client({ flow: { whenFull: 'fail' } });
    const a = call(0);
    engine.receive(frameTo(a, FrameType.ERROR, Flag.REJECTED, 0, encodeErrorBody({ code: 8, retryAfterMs: 100, message: 'full' })), SERVER, 10);
    const r = engine.call({ peer: SERVER, method: METHOD, payload: new Uint8Array(0), deadlineAt: 5000 }, 20.5, () => {});
    expect(r).toMatchObject({ code: 'RESOURCE_EXHAUSTED', message: 'the server asked for a pause of 90 ms' });
  });

  it('a deadline already passed is refused before anything is sent', () => {
    const { engine, sent } = client();
    expect(engine.call({ peer: SERVER, method: METHOD, payload: new Uint8Array(0), deadlineAt: 10 }, 10, () => {})).toMatchObject({ code: 'DEADLINE_EXCEEDED' });
    expect(sent).toEqual([]);
  });
});
