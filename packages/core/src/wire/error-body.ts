import { clampU32, readU16, readU32, writeU16, writeU32 } from './byte-io.js';
import type { FrameError } from './frame.js';
import { err, ok, type Result } from './result.js';
import { decodeUtf8, truncateUtf8, utf8Encoder } from './utf8.js';

// The body of an ERROR frame (docs/protocol.md §5.3): a failed call's code,
// the server's pushback, a message cut to a size the wire allows, and the
// codec-encoded details.

/** Longest error message carried on the wire, in UTF-8 bytes. */
export const MAX_ERROR_MESSAGE_BYTES = 1024;

/** A decoded ERROR body. */
export interface ErrorBody {
  /** gRPC status number (see `Code`). */
  code: number;
  /** Server pushback in ms; 0 means none. */
  retryAfterMs: number;
  /** Human-readable error message (at most 1024 bytes). */
  message: string;
  /** Codec-encoded details; empty when there are none. */
  details: Uint8Array;
}

/** Builds an ERROR body: u8 code, u32 retry-after, u16 message length, message, details. */
export function encodeErrorBody(e: {
  code: number;
  retryAfterMs: number;
  message: string;
  details?: Uint8Array;
}): Uint8Array {
  let message: Uint8Array = utf8Encoder.encode(e.message);
  if (message.length > MAX_ERROR_MESSAGE_BYTES) message = truncateUtf8(message, MAX_ERROR_MESSAGE_BYTES);
  const details = e.details ?? new Uint8Array(0);
  const body = new Uint8Array(7 + message.length + details.length);
  body[0] = e.code & 0xff;
  writeU32(body, 1, clampU32(e.retryAfterMs));
  writeU16(body, 5, message.length);
  body.set(message, 7);
  body.set(details, 7 + message.length);
  return body;
}

/** Parses an ERROR body; never throws. */
export function decodeErrorBody(body: Uint8Array): Result<ErrorBody, FrameError> {
  if (body.length < 7) return err('truncated');
  const messageLength = readU16(body, 5);
  if (body.length < 7 + messageLength) return err('truncated');
  const message = decodeUtf8(body.subarray(7, 7 + messageLength));
  if (message === undefined) return err('malformed');
  return ok({ code: body[0]!, retryAfterMs: readU32(body, 1), message, details: body.subarray(7 + messageLength) });
}
