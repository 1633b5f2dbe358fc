// A request in fragments at the server engine (server/request-intake.ts,
// protocol.md §6.3, §7.4): refusals by size and by room with their exact
// code, flags, hint and message; mismatched fragments; when fragments are
// acknowledged; a copy of a fragment once the call runs; and a source whose
// dedup state was lost refusing retransmissions it cannot check.
import { describe, expect, it } from 'vitest';
import { bytesIO } from '../src/wire/byte-io.js';
import { decodeErrorBody } from '../src/wire/error-body.js';
import { decodeFragmentAck } from '../src/wire/fragment-ack.js';
import { Flag, FrameType } from '../src/wire/frame-header.js';
import { encodeFrame } from '../src/wire/frame.js';
import { encodeMethodName, encodeRequestBody, encodeRequestFrame } from '../src/wire/request-body.js';
import type { ServerEngineOptions } from '../src/server/server-engine.js';
import type { PeerAddress } from '../src/transport/transport.js';
import { scriptedServer } from './scripted-server.js';

const A: PeerAddress = Object.freeze({ address: '10.0.0.1', family: 'sim', port: 1111 });
const BODY = encodeRequestBody(5000, encodeMethodName('svc.m'), new Uint8Array(25).fill(7), 0xffffffff, 0, 2); // 14 + 5 + 25 = 44 bytes

/** Fragment `index` of `body` in 10-byte fragments. */
const fragment = (id: number, index: number, flags = 0, attempt = 0, body = BODY, session = 7) =>
  encodeFrame({ type: FrameType.REQUEST, flags, attempt, session, id }, body.subarray(index * 10, index * 10 + 10), { totalBytes: body.length, index, fragmentBytes: 10 });

function server(options: Partial<Omit<ServerEngineOptions, 'send' | 'hooks'>> = {}, idempotent = false) {
  const { engine, out, calls, drops } = scriptedServer(options, idempotent);
  const errors = () =>
    out
      .filter((f) => f.type === FrameType.ERROR)
      .map((f) => {
        const b = decodeErrorBody(f.body);
        if (!b.ok) throw new Error(b.error);
        return { id: f.id, flags: f.flags, code: b.value.code, retryAfterMs: b.value.retryAfterMs, message: b.value.message, details: [...b.value.details] };
      });
  const acks = () => out.filter((f) => f.type === FrameType.FRAGMENT_ACK).map((f) => decodeFragmentAck(f.body)).map((a) => (a.ok ? [a.value.cumulative, a.value.ranges] : a.error));
  return { engine, out, calls, drops, errors, acks };
}

describe('refusals of a request in fragments', () => {
  it('above the message limit: RESOURCE_EXHAUSTED naming both sizes, no hint, not REJECTED, no incarnation', () => {
    const { engine, calls, errors } = server({ reassembly: { maxMessageBytes: 43 } });
    engine.receive(fragment(1, 0), A, 0);
    expect(calls).toEqual([]);
    expect(errors()).toEqual([{ id: 1, flags: 0, code: 8, retryAfterMs: 0, message: "request is 44 bytes, above the server's 43-byte message limit", details: [] }]);
    expect(engine.stats().reassemblyRefused).toBe(1);
  });

  it('no room to reassemble: RESOURCE_EXHAUSTED, REJECTED, the retry-after hint and the incarnation', () => {
    const { engine, errors } = server({ reassembly: { maxPeerMessages: 1 }, admission: { retryAfterMs: 70 } });
    engine.receive(fragment(1, 0), A, 0);
    engine.receive(fragment(2, 0), A, 0);
    const inc = new Uint8Array(4);
    bytesIO.writeU32(inc, 0, engine.incarnation);
    expect(errors()).toEqual([{ id: 2, flags: Flag.REJECTED, code: 8, retryAfterMs: 70, message: 'the server is reassembling too many large requests; try again later', details: [...inc] }]);
    expect(engine.stats().reassemblyRefused).toBe(1);
  });

  it('a fragment of another shape for the same call is dropped as malformed', () => {
    const { engine, drops } = server();
    engine.receive(fragment(1, 0), A, 0);
    engine.receive(fragment(1, 1, 0, 0, new Uint8Array(60)), A, 1);
    expect(drops).toEqual(['malformed']);
  });
});

describe('acknowledgements', () => {
  it('in order, unflagged: none until the last; a gap, a flagged fragment or a flagged duplicate: at once', () => {
    const { engine, calls, acks } = server();
    engine.receive(fragment(1, 0), A, 0);
    engine.receive(fragment(1, 1), A, 1);
    expect(acks()).toEqual([]);
    engine.receive(fragment(1, 1), A, 2); // duplicate, unflagged
    expect(acks()).toEqual([]);
    engine.receive(fragment(1, 1, Flag.ACK_REQUESTED), A, 3); // duplicate, flagged
    expect(acks()).toEqual([[2, []]]);
    engine.receive(fragment(1, 3), A, 4); // a gap
    expect(acks()).toEqual([
      [2, []],
      [2, [[3, 4]]],
    ]);
    engine.receive(fragment(1, 4), A, 5);
    engine.receive(fragment(1, 2), A, 6); // completes: acknowledged, and the call starts
    expect(acks().at(-1)).toEqual([5, []]);
    expect(calls.map((c) => [c.id, c.payload.length])).toEqual([[1, 25]]);
  });

  it('a copy of a fragment once the call runs: dropped unless flagged, then the call is in progress (ACK)', () => {
    const { engine, out, drops } = server();
    for (const i of [0, 1, 2, 3, 4]) engine.receive(fragment(1, i), A, i);
    out.length = 0;
    engine.receive(fragment(1, 2), A, 10);
    expect([drops, out]).toEqual([['duplicate'], []]);
    engine.receive(fragment(1, 2, Flag.ACK_REQUESTED, 1), A, 11);
    expect(out.map((f) => [f.type, f.attempt])).toEqual([[FrameType.ACK, 1]]);
  });

  it('a late fragment other than the first, behind the low-water mark: dropped without a SESSION_STALE refusal', () => {
    const { engine, out, drops } = server();
    const whole = (id: number, span: number) => encodeRequestFrame({ type: FrameType.REQUEST, flags: 0, attempt: 0, session: 7, id }, 5000, encodeMethodName('svc.m'), new Uint8Array(0), span, 0, 2);
    engine.receive(whole(10, 0), A, 0);
    engine.receive(whole(11, 1), A, 0); // the oldest call in flight is 10: the mark moves to 10
    out.length = 0;
    engine.receive(fragment(3, 1, 0, 1), A, 1);
    engine.receive(fragment(3, 0, 0, 1), A, 2);
    expect(drops).toEqual(['duplicate', 'duplicate']);
    expect(out.map((f) => [f.type, f.flags])).toEqual([[FrameType.ERROR, Flag.MAY_HAVE_RUN | Flag.SESSION_STALE]]);
  });
});

describe('a source whose dedup state was lost (§6.3)', () => {
  const whole = (session: number, id: number, attempt: number, span = 0xffffffff) =>
    encodeRequestFrame({ type: FrameType.REQUEST, flags: 0, attempt, session, id }, 5000, encodeMethodName('svc.m'), new Uint8Array(0), span, 0, 2);

  function lost(idempotent = false) {
    const s = server({}, idempotent);
    s.engine.receive(whole(1, 5, 0, 0), A, 0);
    s.engine.receive(whole(1, 6, 0, 1), A, 0); // session 1 now has a low-water mark (5)
    for (let session = 2; session <= 17; session++) s.engine.receive(whole(session, 1, 0), A, 10); // the 17th pushes session 1 out
    s.out.length = 0;
    return s;
  }

  it('a retransmission it cannot check is refused ABORTED, MAY_HAVE_RUN, "the server lost its record"; a first copy runs', () => {
    const { engine, calls, errors } = lost();
    const before = calls.length;
    engine.receive(whole(99, 1, 1), A, 20);
    engine.receive(whole(99, 2, 0), A, 21);
    expect(calls.length - before).toBe(1);
    expect(errors()).toEqual([{ id: 1, flags: Flag.MAY_HAVE_RUN, code: 10, retryAfterMs: 0, message: 'may have run (the server lost its record); not run again', details: [] }]);
    expect(engine.stats().duplicatesRefused).toBe(1);
  });

  it('an idempotent method’s retransmission runs', () => {
    const { engine, calls, errors } = lost(true);
    const before = calls.length;
    engine.receive(whole(99, 1, 1), A, 20);
    expect([calls.length - before, errors()]).toEqual([1, []]);
  });

  it('a notification copy is dropped as a duplicate instead', () => {
    const { engine, drops } = lost();
    engine.receive(encodeRequestFrame({ type: FrameType.REQUEST, flags: Flag.NO_REPLY, attempt: 1, session: 99, id: 1 }, 5000, encodeMethodName('svc.m'), new Uint8Array(0), 0xffffffff, 0, 2), A, 20);
    expect(drops).toEqual(['duplicate']);
  });
});
