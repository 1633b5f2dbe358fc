import { writeU32 } from './byte-io.js';

// The fixed 14-byte header that starts every frame (docs/protocol.md §3.1,
// §3.2): magic, version, type, flags, attempt, session and id, with the
// frame types and flag bits it carries. All integers are big-endian.

/** First two bytes of every frame: ASCII "ur". */
export const MAGIC = 0x7572;
/** The frame format version this code speaks (protocol.md §3.1). */
export const VERSION = 1;
/** Size of the fixed header that starts every frame. */
export const HEADER_BYTES = 14;
/** Largest UDP payload over IPv4 (65535 − 8 byte UDP header − 20 byte IP header). */
export const MAX_UDP_PAYLOAD = 65_507;

/** Frame types (protocol.md §4). */
export const FrameType = {
  /** A call (protocol.md §5.1). */
  REQUEST: 1,
  /** A successful reply. */
  RESPONSE: 2,
  /** A failed reply: code, message and details. */
  ERROR: 3,
  /** The server has the request and is running it. */
  ACK: 4,
  /** The client gave up on the call. */
  CANCEL: 5,
  /** Liveness and RTT probe. */
  PING: 6,
  /** Answer to a PING. */
  PONG: 7,
  /** Selective acknowledgement of fragments. */
  FRAGMENT_ACK: 8,
  /** Address-validation challenge (protocol.md §8.3). */
  VALIDATE: 9,
  /** The client's answer to a challenge. */
  VALIDATE_ECHO: 10,
  /** Several frames in one datagram. */
  BATCH: 11,
  /** A draining server: send new calls elsewhere (protocol.md §5.9). */
  GOAWAY: 12,
} as const;
export type FrameType = (typeof FrameType)[keyof typeof FrameType];

/** Flag bits of header byte 4 (protocol.md §3.2). Unknown bits are ignored. */
export const Flag = {
  /** A fragment extension follows the header; the body is one slice of a larger message. */
  FRAGMENT: 0x01,
  /** A request that wants no reply (a notification). */
  NO_REPLY: 0x02,
  /**
   * On a fragment: acknowledge at once (the sender's window is full). On a
   * FRAGMENT_ACK: the receiver is stalled, resend what it lacks.
   */
  ACK_REQUESTED: 0x04,
  /** On an ERROR: the server refused the call before running it; it is safe to send again. */
  REJECTED: 0x08,
  /**
   * On an ERROR: the server did not run this copy, but cannot tell whether an
   * earlier copy of the call ran (protocol.md §6.3): the outcome is unknown.
   */
  MAY_HAVE_RUN: 0x10,
  /**
   * On an ERROR: the call's id is behind its session's low-water mark at the
   * server, so the session can no longer be used; new calls go in a new
   * session (protocol.md §6.3).
   */
  SESSION_STALE: 0x20,
  /**
   * On a REQUEST, RESPONSE or ERROR: the (reassembled) body carries a
   * metadata block (protocol.md §5.8) — after the method name of a REQUEST,
   * at the start of a RESPONSE or ERROR body.
   */
  HAS_METADATA: 0x40,
  /**
   * On a PING: a path MTU probe, padded to the size it probes; on a PONG: the
   * answer to one, padded to the same size (protocol.md §7.5).
   */
  PMTU_PROBE: 0x80,
} as const;

/** The fixed header fields of a frame. */
export interface FrameHeader {
  /** The frame type. */
  type: FrameType;
  /** {@link Flag} bits. */
  flags: number;
  /** Transmission number of the request this frame is or answers; saturates at 255. */
  attempt: number;
  /** Random per-client-instance number; with `id` it names one call. */
  session: number;
  /** Message id, unique among the session's calls in flight. */
  id: number;
}

/** Writes the fixed header at `buf[0..14)`; returns the offset after it. */
export function writeHeader(buf: Uint8Array, h: FrameHeader): number {
  buf[0] = MAGIC >>> 8;
  buf[1] = MAGIC & 0xff;
  buf[2] = VERSION;
  buf[3] = h.type;
  buf[4] = h.flags & 0xff;
  buf[5] = h.attempt > 255 ? 255 : h.attempt;
  writeU32(buf, 6, h.session);
  writeU32(buf, 10, h.id);
  return HEADER_BYTES;
}

/** Overwrites the attempt byte of an encoded frame (used when resending a cached reply). */
export function setAttempt(frame: Uint8Array, attempt: number): void {
  frame[5] = attempt > 255 ? 255 : attempt;
}
