// More edges of the client engine found by mutation testing (client/
// port-unreachable.ts, goaway-handling.ts, call-lifecycle.ts,
// client-state.ts; protocol.md §5.9, §7.3, §8.1): an engine without hooks,
// which calls a dead port may have reached, a finished fragmented call's
// transfer timer, a cancelled queued call, and the peer table's size.
import { describe, expect, it } from 'vitest';
import { ClientEngine, type ClientEngineOptions } from '../src/client/client-engine.js';
import type { CallOutcome } from '../src/client/call-types.js';
import { RpcError } from '../src/errors.js';
import { FrameType } from '../src/wire/frame-header.js';
import { encodeFrame, type Frame } from '../src/wire/frame.js';
import { encodeGoAwayFrame } from '../src/wire/goaway.js';
import type { PeerAddress } from '../src/transport/transport.js';
import { framesOf, METHOD, SERVER } from './engine-pair.js';

function client(options: Partial<ClientEngineOptions> = {}) {
  const sent: Frame[] = [];
  const engine = new ClientEngine({ send: (bytes) => sent.push(...framesOf(bytes)), random: () => 0.5, ...options });
  const outcomes: CallOutcome[] = [];
  const call = (now = 0, peer: PeerAddress = SERVER, payloadBytes = 0) =>
    engine.call({ peer, method: METHOD, payload: new Uint8Array(payloadBytes), deadlineAt: 5000 }, now, (o) => outcomes.push(o)) as number;
  const answer = (id: number, type: FrameType, now: number, from: PeerAddress = SERVER) => engine.receive(encodeFrame({ type, flags: 0, attempt: 0, session: engine.session, id }, new Uint8Array(0)), from, now);
  return { engine, sent, outcomes, call, answer };
}

describe('an engine with no hooks', () => {
  it('heeds a GOAWAY and fails calls to a dead port without calling any', () => {
    const { engine, outcomes, call } = client();
    call(0);
    engine.receive(encodeGoAwayFrame(engine.session, 1000, 7), SERVER, 1);
    expect(engine.stats().goAways).toBe(1);
    for (const t of [2, 3, 4]) engine.unreachable(SERVER, t);
    expect(outcomes.map((o) => !o.ok && o.error.code)).toEqual(['UNAVAILABLE']);
  });
});

describe('which calls a dead port may have reached', () => {
  it('those first sent before the first refusal of the run, to a server that had answered; not one sent at that very time or after', () => {
    const { engine, outcomes, call, answer } = client();
    const a = call(0);
    answer(a, FrameType.ACK, 1); // the server answered: it was there
    const b = call(2);
    engine.unreachable(SERVER, 2); // the run of refusals begins at 2
    const c = call(3);
    engine.unreachable(SERVER, 4);
    engine.unreachable(SERVER, 5);
    void b;
    void c;
    expect(outcomes.map((o) => !o.ok && o.error.mayHaveRun)).toEqual([true, false, false]);
  });
});

describe('a fragmented call that ends', () => {
  it('stops its request transfer’s timer with it', () => {
    const { engine, call, answer } = client({ maxDatagramBytes: 100 });
    const id = call(0, SERVER, 300);
    answer(id, FrameType.RESPONSE, 5);
    expect(engine.nextTimerAt()).toBeUndefined();
    expect(engine.stats().requestProbes).toBe(0);
  });
});

describe('a cancelled queued call', () => {
  it('is never sent when its turn would have come', () => {
    const { engine, sent, call, answer } = client({ flow: { maxInFlightPerPeer: 1 } });
    const a = call(0);
    const b = call(0);
    engine.cancel(b, 1, new RpcError('CANCELLED', 'x'));
    answer(a, FrameType.RESPONSE, 2);
    expect(sent.filter((f) => f.type === FrameType.REQUEST).map((f) => f.id)).toEqual([a]);
    expect(sent.filter((f) => f.type === FrameType.CANCEL)).toEqual([]); // b was never sent: nothing to cancel
    expect(engine.stats().window).toEqual({ inFlight: 0, queued: 0 });
  });
});

describe('the peer table', () => {
  it('maxPeers bounds what is remembered: an idle peer is forgotten for a new one', () => {
    const B: PeerAddress = { address: '10.0.0.9', family: 'sim', port: 9 };
    const { engine, call, answer } = client({ maxPeers: 1 });
    const a = call(0);
    answer(a, FrameType.RESPONSE, 4);
    expect(engine.peerTiming(SERVER)).toEqual({ srttMs: 4, rtoMs: 30 });
    call(5, B);
    expect(engine.peerTiming(SERVER)).toBeUndefined();
  });
});

describe('partial replies held at once', () => {
  it('several may be reassembled together: the client’s reassembly memory is at least its default total, not one message', () => {
    const { engine, outcomes, call } = client({ maxMessageBytes: 30 });
    const a = call(0);
    const b = call(0);
    const fragment = (id: number) => encodeFrame({ type: FrameType.RESPONSE, flags: 0, attempt: 0, session: engine.session, id }, new Uint8Array(10), { totalBytes: 30, index: 0, fragmentBytes: 10 });
    engine.receive(fragment(a), SERVER, 1);
    engine.receive(fragment(b), SERVER, 2);
    expect(outcomes).toEqual([]);
  });
});
