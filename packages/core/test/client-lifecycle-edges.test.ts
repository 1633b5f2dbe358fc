// Edges of a client call's life found by mutation testing (client/
// call-lifecycle.ts, group-reply.ts, client-state.ts; protocol.md §6.3,
// §6.6, §8.1): a queued call that is sent leaves the queue for good, a group
// member's error is remote and keeps its metadata, a member's reply slows
// the group call's probing, and a renewed session takes the random draw.
import { describe, expect, it } from 'vitest';
import { ClientEngine, type ClientEngineOptions } from '../src/client/client-engine.js';
import type { CallOutcome } from '../src/client/call-types.js';
import { encodeErrorBody } from '../src/wire/error-body.js';
import { Flag, FrameType } from '../src/wire/frame-header.js';
import { encodeFrame, type Frame } from '../src/wire/frame.js';
import { encodeMetadataBlock, withMetadataBlock } from '../src/wire/metadata.js';
import type { PeerAddress } from '../src/transport/transport.js';
import { framesOf, METHOD, SERVER } from './engine-pair.js';

function client(options: Partial<ClientEngineOptions> = {}) {
  const sent: Array<{ frame: Frame; to: PeerAddress }> = [];
  const engine = new ClientEngine({ send: (bytes, to) => sent.push(...framesOf(bytes).map((frame) => ({ frame, to }))), random: () => 0.5, ...options });
  const outcomes: CallOutcome[] = [];
  const call = (now = 0, deadlineAt = 5000) => engine.call({ peer: SERVER, method: METHOD, payload: new Uint8Array(0), deadlineAt }, now, (o) => outcomes.push(o)) as number;
  const frameTo = (id: number, type: FrameType, flags: number, body: Uint8Array, attempt = 0) => encodeFrame({ type, flags, attempt, session: engine.session, id }, body);
  return { engine, sent, outcomes, call, frameTo };
}

describe('the window', () => {
  it('a queued call, once sent, holds a window slot until it ends, then frees it', () => {
    const { engine, call, frameTo } = client({ flow: { maxInFlightPerPeer: 1 } });
    const a = call(0);
    const b = call(0);
    engine.receive(frameTo(a, FrameType.RESPONSE, 0, new Uint8Array(0)), SERVER, 5);
    expect(engine.stats().window).toEqual({ inFlight: 1, queued: 0 });
    engine.receive(frameTo(b, FrameType.RESPONSE, 0, new Uint8Array(0)), SERVER, 6);
    expect(engine.stats().window).toEqual({ inFlight: 0, queued: 0 });
    expect(engine.stats()).toMatchObject({ inFlight: 0, queued: 0 });
  });
});

describe('group calls', () => {
  const B: PeerAddress = { address: '10.0.0.6', family: 'sim', port: 1 };

  it('a member’s error is remote and carries the member’s reply metadata', () => {
    const { engine, call: _c, frameTo } = client();
    const replies: CallOutcome[] = [];
    const id = engine.call({ peer: SERVER, method: METHOD, payload: new Uint8Array(0), deadlineAt: 5000 }, 0, () => {}, { maxReplies: 5, onReply: (_f, o) => replies.push(o) }) as number;
    const block = encodeMetadataBlock({ k: 'v' }, 100) as Uint8Array;
    engine.receive(frameTo(id, FrameType.ERROR, Flag.HAS_METADATA, withMetadataBlock(block, encodeErrorBody({ code: 5, retryAfterMs: 0, message: 'no' }))), B, 1);
    engine.receive(frameTo(id, FrameType.RESPONSE, Flag.HAS_METADATA, withMetadataBlock(block, Uint8Array.of(1))), SERVER, 2);
    const [e, r] = replies;
    expect(e && !e.ok && [e.error.code, e.error.remote, [...e.error.metadata!]]).toEqual(['NOT_FOUND', true, [['k', 'v']]]);
    expect(r && r.ok && [[...r.metadata!], [...r.payload]]).toEqual([[['k', 'v']], [1]]);
    void _c;
  });

  it('once a member answered, the group call only probes at the slow interval', () => {
    const { engine, sent, frameTo } = client();
    const id = engine.call({ peer: SERVER, method: METHOD, payload: new Uint8Array(0), deadlineAt: 100_000 }, 0, () => {}, { maxReplies: 5, onReply: () => {} }) as number;
    engine.receive(frameTo(id, FrameType.RESPONSE, 0, new Uint8Array(0)), B, 10);
    const times: number[] = [];
    for (let i = 0; i < 5; i++) {
      const at = engine.nextTimerAt()!;
      times.push(at);
      engine.onTimer(at);
    }
    // Gaps 200 and 250 were set before the reply; then doubling past the 250 ms cap to the acked probe interval (1000 ms),
    // where an unanswered call would stay at 250.
    expect(times).toEqual([200, 450, 950, 1950, 2950]);
    expect(sent.filter((s) => s.frame.type === FrameType.REQUEST)).toHaveLength(6);
  });
});

describe('session renewal', () => {
  it('takes a new random draw when it differs from the old session', () => {
    const draws = [0.5, 0.5, 0.25];
    let i = 0;
    const { engine, call, frameTo } = client({ random: () => draws[Math.min(i++, draws.length - 1)]! });
    expect(engine.session).toBe(0x8000_0000);
    const id = call(0);
    engine.receive(frameTo(id, FrameType.ERROR, Flag.SESSION_STALE, encodeErrorBody({ code: 10, retryAfterMs: 0, message: '' })), SERVER, 1);
    expect(engine.session).toBe(Math.floor(0.25 * 0xffff_ffff) + 1);
  });
});
