import { bytesIO } from './byte-io.js';
import { Flag, FrameType, HEADER_BYTES, writeHeader } from './frame-header.js';
import type { Frame } from './frame.js';

// Path MTU probes (protocol.md §7.5): a PING with PMTU_PROBE, padded to the
// datagram size it probes, and the PONG that answers it, padded to the same
// size. Pure encoders and parsers; the state machine is in core/src/pmtu.

/** Body bytes of a probe PING before its padding: the confirmed size. */
export const PMTU_PROBE_BODY_BYTES = 4;
/** The smallest probe frame: the header and the confirmed-size field. */
export const MIN_PMTU_PROBE_BYTES = HEADER_BYTES + PMTU_PROBE_BODY_BYTES;

/** What a probe PING says, beyond its size. */
export interface PmtuProbe {
  /** The PING's session (the prober's), echoed by the PONG. */
  session: number;
  /** The probe's number, echoed by the PONG. */
  id: number;
  /** Length of the whole probe frame, padding included: the size it probes. */
  probeBytes: number;
  /** The largest datagram size the prober has confirmed both ways with this peer; 0 for none above its base size. */
  confirmedBytes: number;
}

/**
 * Encodes a probe PING of exactly `probe.probeBytes` bytes (at least
 * {@link MIN_PMTU_PROBE_BYTES}): header, confirmed size, then zeros.
 */
export function encodePmtuProbe(probe: PmtuProbe): Uint8Array {
  const buf = new Uint8Array(Math.max(MIN_PMTU_PROBE_BYTES, probe.probeBytes));
  writeHeader(buf, { type: FrameType.PING, flags: Flag.PMTU_PROBE, attempt: 0, session: probe.session, id: probe.id });
  bytesIO.writeU32(buf, HEADER_BYTES, probe.confirmedBytes);
  return buf;
}

/**
 * The probe a PING frame carries, or undefined when it is a plain PING (no
 * PMTU_PROBE flag, or a body too short for the confirmed size). Its size is
 * the frame's length as received (its datagram, or its BATCH entry).
 */
export function parsePmtuProbe(frame: Frame): PmtuProbe | undefined {
  if (frame.type !== FrameType.PING || (frame.flags & Flag.PMTU_PROBE) === 0 || frame.fragment !== undefined) return undefined;
  if (frame.body.length < PMTU_PROBE_BODY_BYTES) return undefined;
  return { session: frame.session, id: frame.id, probeBytes: HEADER_BYTES + frame.body.length, confirmedBytes: bytesIO.readU32(frame.body, 0) };
}

/**
 * The PONG answering a probe PING (protocol.md §7.5): the PING's session, id
 * and attempt, PMTU_PROBE, the probe's size, and zeros up to that size: never
 * larger than the PING.
 */
export function encodePmtuProbeReply(ping: Frame, probeBytes: number): Uint8Array {
  const buf = new Uint8Array(Math.max(MIN_PMTU_PROBE_BYTES, probeBytes));
  writeHeader(buf, { type: FrameType.PONG, flags: Flag.PMTU_PROBE, attempt: ping.attempt, session: ping.session, id: ping.id });
  bytesIO.writeU32(buf, HEADER_BYTES, probeBytes);
  return buf;
}

/**
 * The size a probe PONG confirms: its probe-size field, if the PONG is at
 * least that long (a PONG shorter than the size it names proves nothing);
 * undefined for anything else.
 */
export function parsePmtuProbeReply(frame: Frame): number | undefined {
  if (frame.type !== FrameType.PONG || (frame.flags & Flag.PMTU_PROBE) === 0 || frame.fragment !== undefined) return undefined;
  if (frame.body.length < PMTU_PROBE_BODY_BYTES) return undefined;
  const probeBytes = bytesIO.readU32(frame.body, 0);
  return HEADER_BYTES + frame.body.length >= probeBytes ? probeBytes : undefined;
}
