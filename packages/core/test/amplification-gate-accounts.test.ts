// The amplification gate's other duties (flowcontrol/amplification-gate.ts,
// protocol.md §8.2–8.3): what `transmit` reports back, the unprompted sends
// (GOAWAY) that never earn a challenge, token echoes validating a session,
// and which received datagrams are credited to the 3× account (none of the
// validated session's, whether alone or first in a BATCH).
import { describe, expect, it } from 'vitest';
import { AmplificationGate } from '../src/flowcontrol/amplification-gate.js';
import { bytesIO } from '../src/wire/byte-io.js';
import { FrameType, HEADER_BYTES, type FrameHeader } from '../src/wire/frame-header.js';
import { type Frame } from '../src/wire/frame.js';
import { defaultSourceLimits } from '../src/server/source-limits.js';
import { SourceTable, type AddressValidator } from '../src/server/source-table.js';
import { CLIENT } from './engine-pair.js';

const SESSION = 5;
const about: FrameHeader = { type: FrameType.RESPONSE, flags: 0, attempt: 1, session: SESSION, id: 9 };

function setup(bytesIn: number, validator?: AddressValidator) {
  const table = new SourceTable(defaultSourceLimits);
  const s = table.get('client|1', 0);
  expect(table.admit(s, 0)).toBe(true);
  table.received(s, SESSION, bytesIn, 0);
  const sent: Uint8Array[] = [];
  const g = new AmplificationGate((b) => sent.push(b), table, validator, defaultSourceLimits.amplificationFactor, 1200);
  return { table, s, sent, g };
}

const frame = (type: FrameType, session: number, body: Uint8Array = new Uint8Array(0)): Frame => ({ type, flags: 0, attempt: 0, session, id: 1, fragment: undefined, body });

/** A BATCH body whose first entry's frame header carries `session`, `length` bytes long. */
function batchBody(session: number, length: number): Uint8Array {
  const body = new Uint8Array(length);
  bytesIO.writeU32(body, 2 + 6, session);
  return body;
}

describe('AmplificationGate.transmit and transmitUnprompted: what they report', () => {
  const validator: AddressValidator = { mint: () => new Uint8Array(4), verify: () => false };

  it('transmit: true when the bytes went out, false when held back, with or without a challenge sent instead', () => {
    const { s, sent, g } = setup(100, validator);
    expect(g.transmit(new Uint8Array(100), CLIENT, s, 0, about)).toBe(true); // 116 of 300
    expect(g.transmit(new Uint8Array(200), CLIENT, s, 0, about)).toBe(false); // would be 332: a challenge (34) instead
    expect([sent.length, g.blocked, s.bytesOut]).toEqual([2, 1, 116 + HEADER_BYTES + 4 + 16]);
    expect(g.transmit(new Uint8Array(200), CLIENT, s, 0, about)).toBe(false); // no second challenge for the same datagram
    expect([sent.length, g.blocked]).toEqual([2, 2]);
    const plain = setup(100);
    expect(plain.g.transmit(new Uint8Array(285), CLIENT, plain.s, 0, about)).toBe(false);
    expect(plain.sent).toHaveLength(0);
  });

  it('transmitUnprompted: sends and charges within the limit; over it, holds back and counts, and never challenges', () => {
    const { s, sent, g } = setup(100, validator);
    expect(g.transmitUnprompted(new Uint8Array(284), CLIENT, s, SESSION, 0)).toBe(true);
    expect([sent.length, g.blocked, s.bytesOut]).toEqual([1, 0, 300]);
    expect(g.transmitUnprompted(new Uint8Array(1), CLIENT, s, SESSION, 0)).toBe(false);
    expect([sent.length, g.blocked, s.bytesOut, s.mayChallenge]).toEqual([1, 1, 300, true]);
  });
});

describe('AmplificationGate.validate', () => {
  it('without a validator, nothing validates', () => {
    const { table, s, g } = setup(10);
    expect(g.validate(new Uint8Array(4), s, SESSION, 0)).toBe(false);
    expect([g.validations, table.isValidated(s, SESSION, 0)]).toEqual([0, false]);
  });

  it('a bad token validates nothing; a good one validates that session at that address, counted once per validation', () => {
    const seen: [string, number][] = [];
    const validator: AddressValidator = {
      mint: () => new Uint8Array(4),
      verify: (token, key, now) => {
        seen.push([key, now]);
        return token[0] === 1;
      },
    };
    const { table, s, g } = setup(10, validator);
    expect(g.validate(new Uint8Array([0]), s, SESSION, 7)).toBe(false);
    expect([g.validations, table.isValidated(s, SESSION, 7)]).toEqual([0, false]);
    expect(g.validate(new Uint8Array([1]), s, SESSION, 8)).toBe(true);
    expect([g.validations, table.isValidated(s, SESSION, 8), table.isValidated(s, SESSION + 1, 8)]).toEqual([1, true, false]);
    expect(g.validate(new Uint8Array([1]), s, SESSION, 9)).toBe(true); // already validated: not counted again
    expect(g.validations).toBe(1);
    expect(g.validate(new Uint8Array([1]), s, SESSION + 1, 10)).toBe(true); // another session: a new validation
    expect(g.validations).toBe(2);
    expect(seen).toEqual([
      ['client|1', 7],
      ['client|1', 8],
      ['client|1', 9],
      ['client|1', 10],
    ]);
  });
});

describe('AmplificationGate.received: which datagrams earn 3×', () => {
  function validated() {
    const r = setup(0);
    r.table.validate(r.s, SESSION, 0);
    return r;
  }

  it('a frame of the validated session earns nothing; one of another session, or one that did not parse, earns its size', () => {
    const { s, g } = validated();
    g.received(s, frame(FrameType.REQUEST, SESSION), 100, 0);
    expect(s.bytesIn).toBe(0);
    g.received(s, frame(FrameType.REQUEST, SESSION + 1), 100, 0);
    expect(s.bytesIn).toBe(100);
    g.received(s, 'truncated', 7, 0);
    expect(s.bytesIn).toBe(107);
  });

  it('a BATCH counts as the session of its first frame (read at entry offset 2 + 6), not of its own header', () => {
    const { s, g } = validated();
    g.received(s, frame(FrameType.BATCH, 0, batchBody(SESSION, 40)), 40, 0);
    expect(s.bytesIn).toBe(0);
    g.received(s, frame(FrameType.BATCH, SESSION, batchBody(SESSION + 1, 40)), 40, 0);
    expect(s.bytesIn).toBe(40);
  });

  it('a BATCH body of exactly one entry header (16 bytes) is read; a shorter one earns its size', () => {
    const { s, g } = validated();
    g.received(s, frame(FrameType.BATCH, 0, batchBody(SESSION, 2 + HEADER_BYTES)), 16, 0);
    expect(s.bytesIn).toBe(0);
    g.received(s, frame(FrameType.BATCH, SESSION, batchBody(SESSION, 2 + HEADER_BYTES - 1)), 15, 0);
    expect(s.bytesIn).toBe(15);
  });
});
