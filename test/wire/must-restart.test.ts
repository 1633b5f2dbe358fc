// MUSTs of protocol.md added with the server incarnation (§3.2 MAY_HAVE_RUN,
// §5.4 bodies, §6.3 incarnations) that no other test pins down exactly,
// checked on the bare engines with exact oracles (docs/conformance.md maps
// every MUST to its test).
import { describe, expect, it } from 'vitest';
import { decodeRequestBody, encodeErrorBody, encodeFrame, encodeRequestFrame, Flag, FrameType, type Frame } from '@udprpc/core/wire';
import { ClientEngine, ServerEngine, type CallOutcome, type IncomingCall } from '@udprpc/core/engine';
import { CLIENT, decoded, METHOD, SERVER } from './must-support.js';


/** A client engine whose sends are recorded with the time they were made. */
function recordingClient() {
  const sent: { at: number; frame: Frame; bytes: number }[] = [];
  const r = {
    now: 0,
    sent,
    engine: undefined as unknown as ClientEngine,
    /** Fires the engine's timers in order up to `untilMs` (at most 10 000). */
    runTo(untilMs: number): void {
      for (let i = 0; i < 10_000; i++) {
        const at = r.engine.nextTimerAt();
        if (at === undefined || at > untilMs) break;
        r.now = at;
        r.engine.onTimer(at);
      }
      r.now = untilMs;
    },
    requests: () => sent.filter((s) => s.frame.type === FrameType.REQUEST),
  };
  r.engine = new ClientEngine({ send: (bytes) => sent.push({ at: r.now, frame: decoded(bytes), bytes: bytes.length }), random: () => 0.5, codec: 1 });
  return r;
}

const knownIncarnation = (f: Frame): number => {
  const b = decodeRequestBody(f.body);
  if (!b.ok) throw new Error(b.error);
  return b.value.incarnation;
};

describe('an ERROR with MAY_HAVE_RUN (§3.2)', () => {
  it.each([
    ['ABORTED, MAY_HAVE_RUN', 10, Flag.MAY_HAVE_RUN, 0, 'ABORTED'],
    ['ABORTED, MAY_HAVE_RUN | SESSION_STALE', 10, Flag.MAY_HAVE_RUN | Flag.SESSION_STALE, 0, 'ABORTED'],
    ['a broken server setting REJECTED and a retry after next to MAY_HAVE_RUN', 8, Flag.MAY_HAVE_RUN | Flag.REJECTED, 100, 'RESOURCE_EXHAUSTED'],
  ] as const)('%s: the client never sends the call again', (_label, code, flags, retryAfterMs, expected) => {
    const c = recordingClient();
    let outcome: CallOutcome | undefined;
    const id = c.engine.call({ peer: SERVER, method: METHOD, payload: Uint8Array.of(1), deadlineAt: 60_000 }, 0, (o) => (outcome = o));
    if (typeof id !== 'number') throw id;
    // The first copy is lost; the retransmission is refused as "may have run".
    c.runTo(c.engine.nextTimerAt()!);
    expect(c.requests().map((s) => s.frame.attempt)).toEqual([0, 1]);
    const refusal = encodeErrorBody({ code, retryAfterMs, message: 'may have run' });
    c.engine.receive(encodeFrame({ type: FrameType.ERROR, flags, attempt: 1, session: c.engine.session, id }, refusal), SERVER, c.now + 5);
    c.runTo(120_000);
    expect(c.sent.map((s) => [s.frame.type, s.frame.attempt])).toEqual([
      [FrameType.REQUEST, 0],
      [FrameType.REQUEST, 1],
    ]);
    expect(outcome?.ok === false && { code: outcome.error.code, remote: outcome.error.remote, mayHaveRun: outcome.error.mayHaveRun }).toEqual({ code: expected, remote: true, mayHaveRun: true });
    expect(c.engine.nextTimerAt()).toBeUndefined();
  });
});

/** A server engine whose handlers run until answered; its sends are recorded. */
function recordingServer(random?: () => number) {
  const sent: Frame[] = [];
  const sizes: number[] = [];
  const calls: IncomingCall[] = [];
  const aborted: string[] = [];
  const engine = new ServerEngine({
    send: (bytes) => (sent.push(decoded(bytes)), sizes.push(bytes.length)),
    ...(random === undefined ? {} : { random }),
    hooks: { onCall: (call) => calls.push(call), onAbort: (_call, reason) => aborted.push(reason) },
  });
  return { engine, sent, sizes, calls, aborted };
}

const request = (attempt: number, id = 7): Uint8Array => encodeRequestFrame({ type: FrameType.REQUEST, flags: 0, attempt, session: 0x1a2b3c4d, id }, 5000, METHOD, Uint8Array.of(1), 0, 0, 1);
const bare = (type: FrameType, id = 7, extra = new Uint8Array(0)): Uint8Array => encodeFrame({ type, flags: 0, attempt: 1, session: 0x1a2b3c4d, id }, extra);

describe('ACK, CANCEL, PING and PONG bodies (§5.4)', () => {
  it('the server sends an ACK of exactly 18 bytes whose body is its incarnation, and a PONG of exactly 14 bytes', () => {
    const s = recordingServer(() => (0xc0ffee01 - 1 + 0.5) / 0xffffffff);
    expect(s.engine.incarnation).toBe(0xc0ffee01);
    s.engine.receive(request(0), CLIENT, 0);
    s.engine.receive(request(1), CLIENT, 200); // still running: ACK
    s.engine.receive(bare(FrameType.PING, 99), CLIENT, 201);
    expect(s.sent.map((f) => [f.type, f.attempt, Buffer.from(f.body).toString('hex')])).toEqual([
      [FrameType.ACK, 1, 'c0ffee01'],
      [FrameType.PONG, 1, ''],
    ]);
    expect(s.sizes).toEqual([18, 14]);
  });

  it('the server ignores bytes after a CANCEL and a PING: the call is cancelled, the PING answered with a bare PONG', () => {
    const s = recordingServer();
    s.engine.receive(request(0), CLIENT, 0);
    expect(s.calls).toHaveLength(1);
    s.engine.receive(bare(FrameType.CANCEL, 7, Uint8Array.of(1, 2, 3)), CLIENT, 10);
    expect(s.aborted).toEqual(['cancelled']);
    s.engine.receive(bare(FrameType.PING, 8, Uint8Array.of(9, 9)), CLIENT, 11);
    expect(s.sizes).toEqual([14]);
    // A copy of the cancelled call is dropped as cancelled-call, not run again.
    s.engine.receive(request(2), CLIENT, 20);
    expect(s.calls).toHaveLength(1);
    expect(s.engine.stats().drops['cancelled-call']).toBe(1);
  });

  it.each([
    ['4 bytes', '5eed0001', 0x5eed0001],
    ['4 bytes and 3 more, which are ignored', '5eed0001010203', 0x5eed0001],
    ['3 bytes (an earlier revision): nothing learned', '5eed00', 0],
    ['incarnation 0: nothing learned', '00000000', 0],
  ])('a client reading an ACK body of %s: the calls it starts afterwards carry what it learned, not the call it answered', (_label, body, learned) => {
    const c = recordingClient();
    const first = c.engine.call({ peer: SERVER, method: METHOD, payload: Uint8Array.of(1), deadlineAt: 60_000 }, 0, () => {});
    if (typeof first !== 'number') throw first;
    c.runTo(c.engine.nextTimerAt()!); // attempt 1
    c.engine.receive(encodeFrame({ type: FrameType.ACK, flags: 0, attempt: 1, session: c.engine.session, id: first }, Buffer.from(body, 'hex')), SERVER, c.now + 1);
    c.runTo(c.engine.nextTimerAt()!); // the post-ACK probe: attempt 2 of the first call
    const second = c.engine.call({ peer: SERVER, method: METHOD, payload: Uint8Array.of(2), deadlineAt: 60_000 }, c.now, () => {});
    if (typeof second !== 'number') throw second;
    const requests = c.requests().map((s) => [s.frame.id, s.frame.attempt, knownIncarnation(s.frame)]);
    expect(requests).toEqual([
      [first, 0, 0],
      [first, 1, 0],
      [first, 2, 0],
      [second, 0, learned],
    ]);
  });
});

describe('server incarnations (§6.3)', () => {
  it('are drawn from the injected random source, never 0, and every ACK carries the drawing server’s own', () => {
    expect([() => 0, () => 0.5, () => 1 - 2 ** -53].map((r) => recordingServer(r).engine.incarnation)).toEqual([1, 0x80000000, 0xffffffff]);
  });

  it('servers started one after another on the same address with the default source draw independently: 64 servers, 64 incarnations', () => {
    const incarnations = Array.from({ length: 64 }, () => {
      const s = recordingServer();
      s.engine.receive(request(0), CLIENT, 0);
      s.engine.receive(request(1), CLIENT, 100);
      const ack = s.sent.find((f) => f.type === FrameType.ACK)!;
      expect(new DataView(ack.body.buffer, ack.body.byteOffset).getUint32(0)).toBe(s.engine.incarnation);
      return s.engine.incarnation;
    });
    // 64 draws of 2^32 − 1 values collide with probability below 5·10⁻⁷.
    expect(new Set(incarnations).size).toBe(64);
    for (const i of incarnations) expect(Number.isInteger(i) && i >= 1 && i <= 0xffffffff).toBe(true);
  });
});
