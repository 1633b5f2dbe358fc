// Sender-side MUSTs of protocol.md that no other test pins down exactly,
// checked on the engines with exact oracles (docs/conformance.md maps every
// MUST to its test).
import { describe, expect, it } from 'vitest';
import {
  decodeFragmentAck,
  decodeRequestBody,
  encodeFrame,
  encodeFragmentAck,
  encodeRequestFrame,
  Flag,
  FrameType,
  MessageIds,
  randomSession,
  type Frame,
} from '@udprpc/core/wire';
import { ClientEngine, ServerEngine, type IncomingCall } from '@udprpc/core/engine';
import { CLIENT, decoded, METHOD, SERVER } from './must-support.js';
import { asDescription } from '../../packages/cli/src/service-description.js';


/** A client engine whose sends are recorded with their time, driven timer by timer up to `untilMs`. */
function drive(engine: ClientEngine, sent: { at: number; frame: Frame }[], untilMs: number): void {
  for (let i = 0; i < 10_000; i++) {
    const at = engine.nextTimerAt();
    if (at === undefined || at > untilMs) return;
    engine.onTimer(at);
  }
  throw new Error(`still running after 10 000 timers (${sent.length} sent)`);
}

function recordingClient(options: Partial<ConstructorParameters<typeof ClientEngine>[0]> = {}) {
  const sent: { at: number; frame: Frame }[] = [];
  let now = 0;
  const engine = new ClientEngine({ send: (bytes) => sent.push({ at: now, frame: decoded(bytes) }), random: () => 0.5, codec: 1, ...options });
  const clock = { set: (t: number) => (now = t) };
  return { engine, sent, clock };
}

describe('client transmissions (§3.2, §5.1, §7.2)', () => {
  it('attempt 0 first and never 0 again; no REQUEST after the deadline; the remaining deadline is never understated; the span is < 2^31 or 0xFFFFFFFF', () => {
    const sent: { at: number; frame: Frame }[] = [];
    let now = 0;
    const engine = new ClientEngine({ send: (bytes) => sent.push({ at: now, frame: decoded(bytes) }), random: () => 0.5, codec: 1 });
    const deadline = 3000.5;
    engine.call({ peer: SERVER, method: METHOD, payload: Uint8Array.of(1), deadlineAt: deadline }, 0, () => {});
    for (let i = 0; i < 1000; i++) {
      const at = engine.nextTimerAt();
      if (at === undefined) break;
      now = at;
      engine.onTimer(at);
    }
    const requests = sent.filter((s) => s.frame.type === FrameType.REQUEST);
    expect(requests.length).toBeGreaterThan(3);
    expect(requests.map((r) => r.frame.attempt)).toEqual(requests.map((_, i) => Math.min(i, 255)));
    for (const r of requests) {
      expect(r.at).toBeLessThan(deadline);
      const body = decodeRequestBody(r.frame.body);
      if (!body.ok) throw new Error(body.error);
      expect(body.value.deadlineMs).toBeGreaterThanOrEqual(deadline - r.at);
      expect(body.value.inFlightSpan < 2 ** 31 || body.value.inFlightSpan === 0xffffffff).toBe(true);
      expect(body.value.codec).toBe(1);
    }
    // The call ended at its deadline with one CANCEL of exactly 14 bytes.
    const cancels = sent.filter((s) => s.frame.type === FrameType.CANCEL);
    expect(cancels).toHaveLength(1);
    expect(cancels[0]!.frame.body.length).toBe(0);
  });

  it('a notification carries attempt 0 and is sent once; one that does not fit one datagram is refused, nothing sent', () => {
    const { engine, sent } = recordingClient({ maxDatagramBytes: 100 });
    expect(engine.notify({ peer: SERVER, method: METHOD, payload: new Uint8Array(100 - 14 - 14 - 8) }, 0)).toBeUndefined();
    expect(engine.notify({ peer: SERVER, method: METHOD, payload: new Uint8Array(100 - 14 - 14 - 8 + 1) }, 0)?.code).toBe('RESOURCE_EXHAUSTED');
    drive(engine, sent, 60_000);
    expect(sent.map((s) => [s.frame.type, s.frame.flags, s.frame.attempt, s.frame.fragment])).toEqual([[FrameType.REQUEST, Flag.NO_REPLY, 0, undefined]]);
  });

  it('a request is fragmented exactly when its frame would exceed maxDatagramBytes; a group request never is', () => {
    const { engine, sent } = recordingClient({ maxDatagramBytes: 100 });
    const fits = new Uint8Array(100 - 14 - 14 - 8);
    engine.call({ peer: SERVER, method: METHOD, payload: fits, deadlineAt: 1000 }, 0, () => {});
    engine.call({ peer: SERVER, method: METHOD, payload: new Uint8Array(fits.length + 1), deadlineAt: 1000 }, 0, () => {});
    expect(sent.map((s) => [s.frame.id - sent[0]!.frame.id, s.frame.fragment === undefined ? 'whole' : `fragment ${s.frame.fragment.index}`])).toEqual([
      [0, 'whole'],
      [1, 'fragment 0'],
      [1, 'fragment 1'],
    ]);
    const group = engine.call({ peer: SERVER, method: METHOD, payload: new Uint8Array(fits.length + 1), deadlineAt: 1000 }, 0, () => {}, { maxReplies: 3, onReply: () => {} });
    expect(typeof group === 'number' ? group : group.code).toBe('RESOURCE_EXHAUSTED');
    expect(sent).toHaveLength(3);
  });

  it('sessions are never 0 and ids still in flight are never reused (§6.1)', () => {
    expect(randomSession(() => 0)).toBe(1);
    expect(randomSession(() => 1 - 2 ** -53)).toBe(0xffffffff);
    const ids = new MessageIds(() => (0xfffffffe + 0.5) / 2 ** 32);
    const inFlight = new Set([0xffffffff, 0]);
    expect([ids.allocate((id) => inFlight.has(id)), ids.allocate((id) => inFlight.has(id)), ids.allocate((id) => inFlight.has(id))]).toEqual([0xfffffffe, 1, 2]);
  });
});

describe('progress for the retry limit (§7.2)', () => {
  it('a VALIDATE is echoed but is not progress: a server that only challenges still ends the call with UNAVAILABLE after maxAttempts', () => {
    const sent: Frame[] = [];
    const engine = new ClientEngine({ send: (bytes) => sent.push(decoded(bytes)), random: () => 0.5, codec: 1, retry: { maxAttempts: 4 } });
    let outcome: string | undefined;
    const id = engine.call({ peer: SERVER, method: METHOD, payload: Uint8Array.of(1), deadlineAt: 60_000 }, 0, (o) => (outcome = o.ok ? 'ok' : o.error.code));
    if (typeof id !== 'number') throw id;
    const token = new Uint8Array(20).fill(7);
    for (let i = 0; i < 100 && outcome === undefined; i++) {
      const last = sent.at(-1)!;
      if (last.type === FrameType.REQUEST) engine.receive(encodeFrame({ type: FrameType.VALIDATE, flags: 0, attempt: last.attempt, session: engine.session, id }, token), SERVER, engine.nextTimerAt()! - 1);
      engine.onTimer(engine.nextTimerAt()!);
    }
    expect(outcome).toBe('UNAVAILABLE');
    expect(sent.map((f) => FrameType.REQUEST === f.type ? `REQUEST ${f.attempt}` : FrameType.VALIDATE_ECHO === f.type ? 'ECHO' : FrameType.CANCEL === f.type ? 'CANCEL' : f.type)).toEqual([
      'REQUEST 0', 'ECHO', 'REQUEST 1', 'ECHO', 'REQUEST 2', 'ECHO', 'REQUEST 3', 'ECHO', 'CANCEL',
    ]);
  });

  it('control: an ACK is progress, so the same schedule does not end the call', () => {
    const sent: Frame[] = [];
    const engine = new ClientEngine({ send: (bytes) => sent.push(decoded(bytes)), random: () => 0.5, codec: 1, retry: { maxAttempts: 4 } });
    let outcome: string | undefined;
    const id = engine.call({ peer: SERVER, method: METHOD, payload: Uint8Array.of(1), deadlineAt: 60_000 }, 0, (o) => (outcome = o.ok ? 'ok' : o.error.code));
    if (typeof id !== 'number') throw id;
    for (let i = 0; i < 8 && outcome === undefined; i++) {
      const last = sent.at(-1)!;
      if (last.type === FrameType.REQUEST) engine.receive(encodeFrame({ type: FrameType.ACK, flags: 0, attempt: last.attempt, session: engine.session, id }, new Uint8Array(0)), SERVER, engine.nextTimerAt()! - 1);
      engine.onTimer(engine.nextTimerAt()!);
    }
    expect(outcome).toBeUndefined();
    expect(sent.filter((f) => f.type === FrameType.REQUEST).length).toBe(9);
  });
});

describe('the receiver of a STALLED FRAGMENT_ACK (§3.2, §7.3)', () => {
  it('presumes every fragment in flight lost and resends them, lowest first, the last with ACK_REQUESTED', () => {
    const sent: Frame[] = [];
    const calls: IncomingCall[] = [];
    const engine = new ServerEngine({ send: (bytes) => sent.push(decoded(bytes)), maxDatagramBytes: 200, hooks: { onCall: (c) => calls.push(c) } });
    engine.receive(encodeRequestFrame({ type: FrameType.REQUEST, flags: 0, attempt: 0, session: 7, id: 1 }, 5000, METHOD, new Uint8Array(0), 0, 0, 1), CLIENT, 0);
    engine.respondOk(calls[0]!, new Uint8Array(1000), 0);
    expect(sent.map((f) => f.fragment?.index)).toEqual([0, 1, 2, 3, 4, 5]);
    sent.length = 0;
    // The client holds fragments 0, 1 and 3, and is stalled.
    const stalled = encodeFragmentAck({ ackedType: FrameType.RESPONSE, cumulative: 2, ranges: [[3, 4]] }, 1000);
    engine.receive(encodeFrame({ type: FrameType.FRAGMENT_ACK, flags: Flag.ACK_REQUESTED, attempt: 1, session: 7, id: 1 }, stalled), CLIENT, 50);
    expect(sent.map((f) => [f.fragment?.index, f.flags & Flag.ACK_REQUESTED, f.attempt])).toEqual([
      [2, 0, 1],
      [4, 0, 1],
      [5, Flag.ACK_REQUESTED, 1],
    ]);
    expect(decodeFragmentAck(stalled).ok).toBe(true);
  });

  it('but not the fragments sent within the last max(1 ms, SRTT): then only the lowest unacknowledged one goes again', () => {
    const sent: Frame[] = [];
    const calls: IncomingCall[] = [];
    const engine = new ServerEngine({ send: (bytes) => sent.push(decoded(bytes)), maxDatagramBytes: 200, hooks: { onCall: (c) => calls.push(c) } });
    engine.receive(encodeRequestFrame({ type: FrameType.REQUEST, flags: 0, attempt: 0, session: 7, id: 1 }, 5000, METHOD, new Uint8Array(0), 0, 0, 1), CLIENT, 0);
    engine.respondOk(calls[0]!, new Uint8Array(1000), 0);
    sent.length = 0;
    const stalled = encodeFragmentAck({ ackedType: FrameType.RESPONSE, cumulative: 0, ranges: [] }, 1000);
    engine.receive(encodeFrame({ type: FrameType.FRAGMENT_ACK, flags: Flag.ACK_REQUESTED, attempt: 1, session: 7, id: 1 }, stalled), CLIENT, 0.5);
    expect(sent.map((f) => f.fragment?.index)).toEqual([0]);
  });
});

describe('udprpc.describe replies are extensible (§5.7.3)', () => {
  it('the CLI reads a description with keys it does not know, ignoring them', () => {
    const reply = [{ service: 'calc', methods: [{ name: 'add', idempotent: true, input: { type: 'object' }, since: 2 }], owner: 'x' }];
    expect(asDescription(reply)).toEqual([{ service: 'calc', methods: [{ name: 'add', idempotent: true }] }]);
  });
});
