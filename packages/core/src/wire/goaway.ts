import { bytesIO } from './byte-io.js';
import { FrameType } from './frame-header.js';
import { encodeFrame, type FrameError } from './frame.js';

// GOAWAY (frame type 12, protocol.md §5.9): a draining server tells the
// clients that talked to it recently to send their new calls elsewhere.

/** Bytes of a GOAWAY body: u32 drain ms, u32 incarnation. */
export const GOAWAY_BODY_BYTES = 8;

/** A decoded GOAWAY body (protocol.md §5.9). */
export interface GoAwayBody {
  /** Within this many ms of sending, the server stops answering (the drain's grace period). */
  drainMs: number;
  /** The incarnation of the draining server (protocol.md §6.3); never 0. */
  incarnation: number;
}

/**
 * Encodes a whole GOAWAY frame for the client session `session`: flags,
 * attempt and message id 0; the body carries `drainMs` (clamped to u32) and
 * the server's `incarnation`.
 */
export function encodeGoAwayFrame(session: number, drainMs: number, incarnation: number): Uint8Array {
  const body = new Uint8Array(GOAWAY_BODY_BYTES);
  bytesIO.writeU32(body, 0, !(drainMs > 0) ? 0 : drainMs >= 0xffffffff ? 0xffffffff : Math.ceil(drainMs));
  bytesIO.writeU32(body, 4, incarnation >>> 0);
  return encodeFrame({ type: FrameType.GOAWAY, flags: 0, attempt: 0, session, id: 0 }, body);
}

/**
 * Parses a GOAWAY body; never throws. Shorter than 8 bytes is `truncated`,
 * an incarnation of 0 `malformed`; bytes after the eighth are ignored (§10).
 */
export function parseGoAwayBody(body: Uint8Array): GoAwayBody | FrameError {
  if (body.length < GOAWAY_BODY_BYTES) return 'truncated';
  const incarnation = bytesIO.readU32(body, 4);
  if (incarnation === 0) return 'malformed';
  return { drainMs: bytesIO.readU32(body, 0), incarnation };
}
