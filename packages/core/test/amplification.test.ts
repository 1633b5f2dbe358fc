// Anti-amplification byte arithmetic (protocol.md §8.2–8.3): until a source
// is validated, the server sends it at most 3× the bytes it received from it,
// and every frame is charged 16 bytes more than its size (a BATCH header of
// 14 and a u16 length prefix: coalescing may wrap any frame in a batch). The
// figures below are exact: one byte more crosses the limit.
import { describe, expect, it } from 'vitest';
import { AmplificationGate } from '../src/flowcontrol/amplification-gate.js';
import { FrameType, HEADER_BYTES, type FrameHeader } from '../src/wire/frame-header.js';
import { encodeRequestFrame } from '../src/wire/request-body.js';
import { ServerEngine } from '../src/server/server-engine.js';
import { SourceTable, type AddressValidator } from '../src/server/source-table.js';
import { defaultSourceLimits } from '../src/server/source-limits.js';
import { CLIENT, framesOf, METHOD } from './engine-pair.js';

const ALLOWANCE = 16;
const SESSION = 5;

function source(bytesIn: number) {
  const table = new SourceTable(defaultSourceLimits);
  const s = table.get('client|1', 0);
  expect(table.admit(s, 0)).toBe(true);
  table.received(s, SESSION, bytesIn, 0);
  return { table, s };
}

describe('SourceTable.allowSend: 3× what was received, each frame charged its size + 16', () => {
  it('the default factor is QUIC’s 3 (RFC 9000 §8.1) and the allowance a BATCH header plus a length prefix', () => {
    expect(defaultSourceLimits.amplificationFactor).toBe(3);
    expect(HEADER_BYTES + 2).toBe(ALLOWANCE);
  });

  it('100 bytes in: one frame of 284 bytes fits exactly (284 + 16 = 300); nothing more does', () => {
    const { table, s } = source(100);
    expect(table.allowSend(s, SESSION, 284, 0)).toBe(true);
    expect(s.bytesOut).toBe(300);
    expect(table.allowSend(s, SESSION, 0, 0)).toBe(false);
    expect(s.bytesOut).toBe(300);
  });

  it('100 bytes in: a frame of 285 bytes is refused, and charges nothing', () => {
    const { table, s } = source(100);
    expect(table.allowSend(s, SESSION, 285, 0)).toBe(false);
    expect(s.bytesOut).toBe(0);
    expect(table.allowSend(s, SESSION, 284, 0)).toBe(true);
  });

  it('the allowance is per frame: 100 bytes in lets exactly three 84-byte frames out (3 × 100), not a fourth', () => {
    const { table, s } = source(100);
    expect([1, 2, 3, 4].map(() => table.allowSend(s, SESSION, 84, 0))).toEqual([true, true, true, false]);
    expect(s.bytesOut).toBe(300);
  });

  it('every datagram received raises the limit by 3× its size', () => {
    const { table, s } = source(10);
    expect(table.allowSend(s, SESSION, 14, 0)).toBe(true); // 30 of 30
    expect(table.allowSend(s, SESSION, 0, 0)).toBe(false);
    table.received(s, SESSION, 7, 0); // limit 51
    expect(table.allowSend(s, SESSION, 5, 0)).toBe(true); // 51 of 51
    expect(table.allowSend(s, SESSION, 0, 0)).toBe(false);
  });

  it('a validated session has no limit and is not charged; another session of the same source still is', () => {
    const { table, s } = source(1);
    table.validate(s, SESSION, 0);
    expect(table.allowSend(s, SESSION, 10_000, 0)).toBe(true);
    expect(s.bytesOut).toBe(0);
    expect(table.allowSend(s, SESSION + 1, 10_000, 0)).toBe(false);
  });

  it('Infinity turns the limit off', () => {
    const table = new SourceTable({ ...defaultSourceLimits, amplificationFactor: Infinity });
    const s = table.get('x', 0);
    expect(table.allowSend(s, SESSION, 65_507, 0)).toBe(true);
  });
});

describe('AmplificationGate.mayProbe: a timer-driven fragment costs a full datagram + 16', () => {
  // maxDatagramBytes 1200: a probe is charged 1216, so it needs 3 × bytesIn >= bytesOut + 1216.
  for (const [bytesIn, bytesOut, may] of [
    [406, 0, true], // 1218 >= 1216
    [405, 0, false], // 1215 < 1216
    [1000, 1784, true], // 3000 >= 3000
    [1000, 1785, false],
  ] as const) {
    it(`${bytesIn} bytes in, ${bytesOut} out: ${may ? 'may' : 'may not'} probe`, () => {
      const { table, s } = source(bytesIn);
      s.bytesOut = bytesOut;
      const gate = new AmplificationGate(() => {}, table, undefined, defaultSourceLimits.amplificationFactor, 1200);
      expect(gate.mayProbe(s, SESSION, 0)).toBe(may);
    });
  }
});

describe('ServerEngine: the reply to an unvalidated source', () => {
  const validator: AddressValidator = { mint: () => new Uint8Array(8).fill(7), verify: () => true };

  // The request datagram is 400 bytes, so 1200 may go back: a reply frame of 1184 (+16).
  function serve(replyPayloadBytes: number) {
    const sent: Uint8Array[] = [];
    const calls: Parameters<ServerEngine['respondOk']>[0][] = [];
    const engine = new ServerEngine({ send: (b) => sent.push(b), hooks: { onCall: (c) => calls.push(c) }, validator });
    const header: FrameHeader = { type: FrameType.REQUEST, flags: 0, attempt: 0, session: 5, id: 9 };
    const request = encodeRequestFrame(header, 5000, METHOD, new Uint8Array(400 - HEADER_BYTES - 14 - METHOD.length));
    expect(request.length).toBe(400);
    engine.receive(request, CLIENT, 0);
    engine.deliver();
    expect(calls).toHaveLength(1);
    engine.respondOk(calls[0]!, new Uint8Array(replyPayloadBytes), 0);
    return { frames: sent.flatMap(framesOf), stats: engine.stats() };
  }

  it('a 1184-byte reply frame (1184 + 16 = 3 × 400) goes out', () => {
    const { frames, stats } = serve(1184 - HEADER_BYTES);
    expect(frames.map((f) => [f.type, HEADER_BYTES + f.body.length])).toEqual([[FrameType.RESPONSE, 1184]]);
    expect(stats.amplificationBlocked).toBe(0);
  });

  it('a 1185-byte reply frame is held back; one VALIDATE challenge goes instead', () => {
    const { frames, stats } = serve(1185 - HEADER_BYTES);
    expect(frames.map((f) => f.type)).toEqual([FrameType.VALIDATE]);
    expect(stats.amplificationBlocked).toBe(1);
  });
});

describe('AmplificationGate.transmit: what goes instead of a held-back send', () => {
  const about: FrameHeader = { type: FrameType.RESPONSE, flags: 0, attempt: 3, session: 77, id: 88 };
  const token = new Uint8Array(8).fill(9);
  const validator: AddressValidator = { mint: () => token, verify: () => false };

  function gate(bytesIn: number, withValidator: boolean) {
    const { table, s } = source(bytesIn);
    const sent: Uint8Array[] = [];
    const g = new AmplificationGate((b) => sent.push(b), table, withValidator ? validator : undefined, defaultSourceLimits.amplificationFactor, 1200);
    return { table, s, sent, g };
  }

  it('within the limit: the bytes go out as they are, and are charged', () => {
    const { s, sent, g } = gate(100, true);
    const bytes = new Uint8Array(284);
    g.transmit(bytes, CLIENT, s, 0, about);
    expect(sent).toEqual([bytes]);
    expect({ blocked: g.blocked, bytesOut: s.bytesOut }).toEqual({ blocked: 0, bytesOut: 300 });
  });

  it('over the limit without a validator: held back and counted; nothing at all is sent', () => {
    const { s, sent, g } = gate(100, false);
    g.transmit(new Uint8Array(285), CLIENT, s, 0, about);
    expect({ sent: sent.length, blocked: g.blocked, bytesOut: s.bytesOut }).toEqual({ sent: 0, blocked: 1, bytesOut: 0 });
  });

  it('over the limit with a validator: one VALIDATE per datagram received, echoing the call, its token as body, charged too', () => {
    const { table, s, sent, g } = gate(100, true);
    g.transmit(new Uint8Array(285), CLIENT, s, 0, about);
    g.transmit(new Uint8Array(285), CLIENT, s, 0, about); // same datagram received: no second challenge
    expect(g.blocked).toBe(2);
    const frames = sent.flatMap(framesOf);
    expect(frames.map((f) => ({ type: f.type, attempt: f.attempt, session: f.session, id: f.id, body: [...f.body] }))).toEqual([
      { type: FrameType.VALIDATE, attempt: 3, session: 77, id: 88, body: [...token] },
    ]);
    expect(s.bytesOut).toBe(HEADER_BYTES + 8 + ALLOWANCE);
    // The next datagram from the source earns one more challenge.
    expect(table.admit(s, 0)).toBe(true);
    g.transmit(new Uint8Array(1000), CLIENT, s, 0, about);
    g.transmit(new Uint8Array(1000), CLIENT, s, 0, about);
    expect(sent).toHaveLength(2);
    expect(g.blocked).toBe(4);
  });

  it('a challenge that does not fit the limit either is not sent', () => {
    const { s, sent, g } = gate(12, true); // 36 allowed; a VALIDATE costs 14 + 8 + 16 = 38
    g.transmit(new Uint8Array(100), CLIENT, s, 0, about);
    expect({ sent: sent.length, blocked: g.blocked, bytesOut: s.bytesOut }).toEqual({ sent: 0, blocked: 1, bytesOut: 0 });
  });

  it('a validated session, or a gate with no limit, may always probe', () => {
    const { table: t, s, g } = gate(0, true);
    expect(g.mayProbe(s, SESSION, 0)).toBe(false);
    t.validate(s, SESSION, 0);
    expect(g.mayProbe(s, SESSION, 0)).toBe(true);
    const other = source(0);
    expect(new AmplificationGate(() => {}, other.table, undefined, Infinity, 1200).mayProbe(other.s, SESSION, 0)).toBe(true);
  });
});
