// A call's life at the client engine beyond its replies (client/call-timers.ts,
// request-transfer.ts, call-lifecycle.ts; protocol.md §5.1, §6.4, §7.2, §7.3):
// how it ends at its deadline or after maxAttempts (with a CANCEL), a retry
// budget that runs dry, cancellation, group calls' collection window, and a
// request in fragments (its remaining deadline, its acks, the complete case).
import { describe, expect, it } from 'vitest';
import type { ClientEngineOptions } from '../src/client/client-engine.js';
import type { CallOutcome } from '../src/client/call-types.js';
import { RpcError } from '../src/errors.js';
import { encodeFragmentAck } from '../src/wire/fragment-ack.js';
import { Flag, FrameType } from '../src/wire/frame-header.js';
import { encodeFrame } from '../src/wire/frame.js';
import { bytesIO } from '../src/wire/byte-io.js';
import { METHOD, SERVER } from './engine-pair.js';
import { scriptedClient } from './scripted-client.js';

function client(options: Partial<ClientEngineOptions> = {}) {
  const { engine, sent, events } = scriptedClient(options);
  const outcomes: CallOutcome[] = [];
  const call = (now = 0, deadlineAt = 5000, payload = new Uint8Array([1])) => {
    const id = engine.call({ peer: SERVER, method: METHOD, payload, deadlineAt }, now, (o) => outcomes.push(o));
    if (typeof id !== 'number') throw id;
    return id;
  };
  const frameTo = (id: number, type: FrameType, flags: number, attempt: number, body: Uint8Array) => encodeFrame({ type, flags, attempt, session: engine.session, id }, body);
  const kinds = () => sent.map((s) => [s.frame.type, s.frame.attempt]);
  const run = (until: number) => {
    for (let at = engine.nextTimerAt(); at !== undefined && at <= until; at = engine.nextTimerAt()) engine.onTimer(at);
  };
  return { engine, sent, events, outcomes, call, frameTo, kinds, run };
}

const errorOf = (o: CallOutcome | undefined) => (o === undefined || o.ok ? undefined : [o.error.code, o.error.message]);

describe('how an unanswered call ends', () => {
  it('at its deadline: DEADLINE_EXCEEDED naming the attempts, a CANCEL to the server, counted', () => {
    const { engine, events, outcomes, call, kinds, run } = client();
    const id = call(0, 300);
    run(300);
    expect(kinds()).toEqual([
      [FrameType.REQUEST, 0],
      [FrameType.REQUEST, 1],
      [FrameType.CANCEL, 1],
    ]);
    expect(errorOf(outcomes[0])).toEqual(['DEADLINE_EXCEEDED', 'no reply within the deadline after 2 attempt(s)']);
    expect(events).toEqual([`retry ${id} attempt 1 rto 250`, `timeout ${id} after 2`]); // the gap that follows it: min(2 × 200, 250)
    expect(engine.stats()).toMatchObject({ timeouts: 1, retransmits: 1, window: { inFlight: 0, queued: 0 } });
    expect(engine.nextTimerAt()).toBeUndefined();
  });

  it('after maxAttempts transmissions without an answer: UNAVAILABLE', () => {
    const { outcomes, call, kinds, run } = client({ retry: { maxAttempts: 3 } });
    call(0, 100_000);
    run(100_000);
    expect(kinds().map(([t]) => t)).toEqual([FrameType.REQUEST, FrameType.REQUEST, FrameType.REQUEST, FrameType.CANCEL]);
    expect(errorOf(outcomes[0])).toEqual(['UNAVAILABLE', 'no reply from the server after 3 attempts']);
  });

  it('an empty retry budget skips the turn as if sent and lost: no datagram, the next turn backed off', () => {
    const { engine, call, kinds, run } = client({ retryBudget: { burst: 0, ratio: 0, minPerSecond: 0 } });
    call(0, 2000);
    run(1000);
    expect(kinds()).toEqual([[FrameType.REQUEST, 0]]);
    expect(engine.stats().retryBudget).toMatchObject({ denied: 4, spent: 0 }); // turns at 200, 450, 700, 950
  });
});

describe('retransmissions', () => {
  it('each copy carries the time left until the deadline, rounded up', () => {
    const { sent, call, run } = client();
    call(0.5, 1000.2);
    run(700);
    const deadlines = sent.filter((s) => s.frame.type === FrameType.REQUEST).map((s) => [s.frame.attempt, bytesIO.readU32(s.frame.body, 0)]);
    // Sent at 0.5, 200.5 and 450.5 (gaps 200, then 250).
    expect(deadlines).toEqual([
      [0, 1000],
      [1, 800],
      [2, 550],
    ]);
  });

  it('a peer slower than the backoff cap: the gaps stay at its RTO', () => {
    const { engine, sent, call, frameTo, run } = client();
    const first = call(0, 100_000);
    engine.receive(frameTo(first, FrameType.RESPONSE, 0, 0, new Uint8Array(0)), SERVER, 1000); // RTO 1000 + 4 × 500 = 3000
    sent.length = 0;
    call(1000, 100_000);
    const times: number[] = [];
    for (let i = 0; i < 3; i++) {
      const at = engine.nextTimerAt()!;
      times.push(at);
      run(at);
    }
    expect(times).toEqual([4000, 7000, 10_000]);
  });
});

describe('cancellation', () => {
  it('cancel: the caller’s error, a CANCEL, counted; unknown ids are ignored', () => {
    const { engine, outcomes, call, kinds } = client();
    const id = call(0);
    engine.cancel(id + 1, 5);
    engine.cancel(id, 5, new RpcError('CANCELLED', 'by the test'));
    expect(errorOf(outcomes[0])).toEqual(['CANCELLED', 'by the test']);
    expect(kinds()).toEqual([
      [FrameType.REQUEST, 0],
      [FrameType.CANCEL, 0],
    ]);
    expect(engine.stats()).toMatchObject({ cancelled: 1, timeouts: 0 });
    expect(engine.nextTimerAt()).toBeUndefined();
  });

  it('cancelAll ends every call; queued ones start nothing meanwhile', () => {
    const { engine, outcomes, call, kinds } = client({ flow: { maxInFlightPerPeer: 1 } });
    call(0);
    call(0);
    engine.cancelAll(1, new RpcError('CANCELLED', 'closing'));
    expect(outcomes.map((o) => errorOf(o))).toEqual([
      ['CANCELLED', 'closing'],
      ['CANCELLED', 'closing'],
    ]);
    expect(kinds().filter(([t]) => t === FrameType.REQUEST)).toHaveLength(1);
    expect(engine.stats()).toMatchObject({ cancelled: 2, window: { inFlight: 0, queued: 0 } });
  });
});

describe('group calls end at their deadline', () => {
  it('the collection window closing is a normal end: ok, empty; no CANCEL', () => {
    const { outcomes, call: _call, engine, kinds, run } = client();
    engine.call({ peer: SERVER, method: METHOD, payload: new Uint8Array(0), deadlineAt: 500 }, 0, (o) => outcomes.push(o), { maxReplies: 5, onReply: () => {} });
    run(500);
    expect(outcomes).toEqual([{ ok: true, payload: new Uint8Array(0) }]);
    expect(kinds().every(([t]) => t === FrameType.REQUEST)).toBe(true);
    void _call;
  });

  it('a group request must fit one datagram', () => {
    const { engine } = client({ maxDatagramBytes: 100 });
    const r = engine.call({ peer: SERVER, method: METHOD, payload: new Uint8Array(200), deadlineAt: 500 }, 0, () => {}, { maxReplies: 5, onReply: () => {} });
    expect(r).toMatchObject({ code: 'RESOURCE_EXHAUSTED', message: 'a group request must fit in one 100-byte datagram' });
  });
});

describe('a request in fragments', () => {
  it('above maxMessageBytes: refused at once, naming both sizes', () => {
    const { engine, sent } = client({ maxDatagramBytes: 100, maxMessageBytes: 150 });
    const r = engine.call({ peer: SERVER, method: METHOD, payload: new Uint8Array(200), deadlineAt: 500 }, 0, () => {});
    expect(r).toMatchObject({ code: 'RESOURCE_EXHAUSTED', message: `request is ${14 + METHOD.length + 200} bytes, above the 150-byte message limit` });
    expect(sent).toEqual([]);
  });

  it('fragments carry the remaining deadline of the round; the server’s acks move the transfer; complete, a retransmission is one flagged fragment', () => {
    const { engine, sent, events, call, frameTo, run } = client({ maxDatagramBytes: 100 });
    const id = call(0, 5000, new Uint8Array(200)); // body 14 + method + 200
    const frags = sent.map((s) => s.frame);
    const count = Math.ceil((14 + METHOD.length + 200) / 76);
    expect(frags.map((f) => [f.type, f.fragment?.index])).toEqual(Array.from({ length: count }, (_, i) => [FrameType.REQUEST, i]));
    expect(bytesIO.readU32(frags[0]!.body, 0)).toBe(5000);
    expect(frags[count - 1]!.flags & Flag.ACK_REQUESTED).toBe(Flag.ACK_REQUESTED);
    sent.length = 0;
    const ack = (cumulative: number) => frameTo(id, FrameType.FRAGMENT_ACK, 0, 0, encodeFragmentAck({ ackedType: FrameType.REQUEST, cumulative, ranges: [] }, 100));
    engine.receive(frameTo(id, FrameType.FRAGMENT_ACK, 0, 0, encodeFragmentAck({ ackedType: FrameType.RESPONSE, cumulative: 1, ranges: [] }, 100)), SERVER, 5);
    engine.receive(frameTo(id, FrameType.FRAGMENT_ACK, 0, 0, new Uint8Array(2)), SERVER, 5);
    expect(events).toEqual(['drop unexpected-frame', 'drop truncated']);
    engine.receive(ack(count), SERVER, 10);
    expect(sent).toEqual([]);
    // Complete: the next transmission (the call's RTO after progress) is fragment 0 alone, asking for the reply.
    const rto = engine.peerTiming(SERVER)!.rtoMs;
    expect(engine.nextTimerAt()).toBe(10 + rto);
    run(10 + rto);
    expect(sent.map((s) => [s.frame.type, s.frame.fragment?.index, s.frame.flags & Flag.ACK_REQUESTED, s.frame.attempt])).toEqual([[FrameType.REQUEST, 0, Flag.ACK_REQUESTED, 1]]);
  });

  it('a FRAGMENT_ACK for a call sent whole is unexpected', () => {
    const { engine, events, call, frameTo } = client();
    const id = call(0);
    engine.receive(frameTo(id, FrameType.FRAGMENT_ACK, 0, 0, encodeFragmentAck({ ackedType: FrameType.REQUEST, cumulative: 1, ranges: [] }, 100)), SERVER, 5);
    expect(events).toEqual(['drop unexpected-frame']);
  });
});
