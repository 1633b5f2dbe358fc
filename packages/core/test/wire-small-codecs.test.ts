// The wire's small pieces, byte for byte: message id allocation and session
// numbers (protocol.md §6), drop counting, the GOAWAY drain field's clamping
// (§5.9), and the path MTU probe PING/PONG (§7.5).
import { describe, expect, it } from 'vitest';
import { countDrop, type DropCounts } from '../src/wire/drop-reason.js';
import { Flag, FrameType, HEADER_BYTES } from '../src/wire/frame-header.js';
import { parseFrame, type Frame } from '../src/wire/frame.js';
import { encodeGoAwayFrame, GOAWAY_BODY_BYTES, parseGoAwayBody } from '../src/wire/goaway.js';
import { MessageIds, randomSession } from '../src/wire/message-ids.js';
import { encodePmtuProbe, encodePmtuProbeReply, MIN_PMTU_PROBE_BYTES, parsePmtuProbe, parsePmtuProbeReply, PMTU_PROBE_BODY_BYTES } from '../src/wire/pmtu-probe.js';
import { err, ok } from '../src/wire/result.js';

describe('MessageIds', () => {
  it('starts at floor(random × 2^32), then counts up, skipping ids in use, and wraps at 2^32', () => {
    expect(new MessageIds(() => 0).peek()).toBe(0);
    expect(new MessageIds(() => 0.5).peek()).toBe(0x8000_0000);
    const ids = new MessageIds(() => 0.999_999_999_9); // floor(0.9999999999 × 2^32) = 2^32 − 1
    expect(ids.peek()).toBe(0xffff_ffff);
    expect(ids.allocate(() => false)).toBe(0xffff_ffff);
    expect(ids.peek()).toBe(0);
    const inUse = new Set([0, 1, 3]);
    expect(ids.allocate((id) => inUse.has(id))).toBe(2);
    expect(ids.peek()).toBe(3);
    expect(ids.allocate((id) => inUse.has(id))).toBe(4);
  });

  it('randomSession is never 0: 1 to 2^32 − 1', () => {
    expect(randomSession(() => 0)).toBe(1);
    expect(randomSession(() => 0.5)).toBe(0x8000_0000);
    expect(randomSession(() => 0.999_999_999_99)).toBe(0xffff_ffff);
  });
});

describe('countDrop and Result', () => {
  it('counts each reason from 1 up, separately', () => {
    const counts: DropCounts = {};
    countDrop(counts, 'duplicate');
    countDrop(counts, 'duplicate');
    countDrop(counts, 'expired');
    expect(counts).toEqual({ duplicate: 2, expired: 1 });
  });

  it('ok and err', () => {
    expect(ok(3)).toEqual({ ok: true, value: 3 });
    expect(err('x')).toEqual({ ok: false, error: 'x' });
  });
});

describe('GOAWAY drain field', () => {
  const drainOf = (ms: number) => (parseGoAwayBody((parseFrame(encodeGoAwayFrame(1, ms, 2)) as Frame).body) as { drainMs: number }).drainMs;

  it('rounds up; 0 for 0, negatives and NaN; saturates at 2^32 − 1', () => {
    expect(GOAWAY_BODY_BYTES).toBe(8);
    expect([drainOf(0), drainOf(-5), drainOf(Number.NaN), drainOf(0.2), drainOf(1500.5)]).toEqual([0, 0, 0, 1, 1501]);
    expect([drainOf(0xffff_fffe), drainOf(0xffff_ffff), drainOf(1e12), drainOf(Infinity)]).toEqual([0xffff_fffe, 0xffff_ffff, 0xffff_ffff, 0xffff_ffff]);
  });

  it('writes the incarnation as u32', () => {
    expect(parseGoAwayBody((parseFrame(encodeGoAwayFrame(1, 0, -1)) as Frame).body)).toEqual({ drainMs: 0, incarnation: 0xffff_ffff });
  });
});

describe('path MTU probes', () => {
  const probe = { session: 0x01020304, id: 0x0a0b0c0d, probeBytes: 24, confirmedBytes: 1472 };

  it('a probe PING is exactly probeBytes long: header with PMTU_PROBE, the confirmed size, zeros', () => {
    expect([PMTU_PROBE_BODY_BYTES, MIN_PMTU_PROBE_BYTES]).toEqual([4, 18]);
    const bytes = encodePmtuProbe(probe);
    expect([...bytes]).toEqual([0x75, 0x72, 1, FrameType.PING, Flag.PMTU_PROBE, 0, 1, 2, 3, 4, 0x0a, 0x0b, 0x0c, 0x0d, 0, 0, 0x05, 0xc0, 0, 0, 0, 0, 0, 0]);
    expect(parsePmtuProbe(parseFrame(bytes) as Frame)).toEqual(probe);
    expect(encodePmtuProbe({ ...probe, probeBytes: 5 }).length).toBe(18);
  });

  it('a PING without the flag, a fragment, or one whose body is under 4 bytes is no probe', () => {
    const ping = parseFrame(encodePmtuProbe(probe)) as Frame;
    expect(parsePmtuProbe({ ...ping, flags: 0 })).toBeUndefined();
    expect(parsePmtuProbe({ ...ping, type: FrameType.PONG })).toBeUndefined();
    expect(parsePmtuProbe({ ...ping, fragment: { totalBytes: 1, index: 0, fragmentBytes: 1 } })).toBeUndefined();
    expect(parsePmtuProbe({ ...ping, body: ping.body.subarray(0, 3) })).toBeUndefined();
    expect(parsePmtuProbe({ ...ping, body: ping.body.subarray(0, 4) })).toEqual({ ...probe, probeBytes: 18 });
  });

  it('the PONG echoes session, id and attempt, names the size and is padded to it', () => {
    const ping: Frame = { ...(parseFrame(encodePmtuProbe(probe)) as Frame), attempt: 7 };
    const pong = encodePmtuProbeReply(ping, 24);
    expect([...pong]).toEqual([0x75, 0x72, 1, FrameType.PONG, Flag.PMTU_PROBE, 7, 1, 2, 3, 4, 0x0a, 0x0b, 0x0c, 0x0d, 0, 0, 0, 24, 0, 0, 0, 0, 0, 0]);
    expect(parsePmtuProbeReply(parseFrame(pong) as Frame)).toBe(24);
    expect(encodePmtuProbeReply(ping, 3).length).toBe(MIN_PMTU_PROBE_BYTES);
  });

  it('a PONG confirms its size only if it is at least that long; not without the flag, as a fragment, or with a short body', () => {
    const pong = parseFrame(encodePmtuProbeReply(parseFrame(encodePmtuProbe(probe)) as Frame, 24)) as Frame;
    const naming = (size: number): Frame => {
      const body = pong.body.slice();
      body[3] = size;
      return { ...pong, body };
    };
    expect(parsePmtuProbeReply(naming(HEADER_BYTES + 10))).toBe(24);
    expect(parsePmtuProbeReply(naming(HEADER_BYTES + 11))).toBeUndefined();
    expect(parsePmtuProbeReply({ ...pong, flags: 0 })).toBeUndefined();
    expect(parsePmtuProbeReply({ ...pong, type: FrameType.PING })).toBeUndefined();
    expect(parsePmtuProbeReply({ ...pong, fragment: { totalBytes: 1, index: 0, fragmentBytes: 1 } })).toBeUndefined();
    expect(parsePmtuProbeReply({ ...pong, body: pong.body.subarray(0, 3) })).toBeUndefined();
    // The smallest PONG: header and the size field only, naming its own 18 bytes.
    const smallest = parseFrame(encodePmtuProbeReply(parseFrame(encodePmtuProbe({ ...probe, probeBytes: 18 })) as Frame, 18)) as Frame;
    expect(smallest.body.length).toBe(4);
    expect(parsePmtuProbeReply(smallest)).toBe(18);
  });
});
