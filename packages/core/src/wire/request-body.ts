import { clampU32, readU32, writeU32 } from './byte-io.js';
import type { FrameError } from './frame.js';
import { Flag, HEADER_BYTES, writeHeader, type FrameHeader } from './frame-header.js';
import { err, ok, type Result } from './result.js';
import { decodeUtf8, utf8Encoder } from './utf8.js';

// The body of a REQUEST (docs/protocol.md §5.1): deadline, in-flight span,
// known server incarnation, codec id, the method name, then the encoded
// argument; and the single-allocation REQUEST frame of the client's hot path.

/** Longest method name, in UTF-8 bytes (it is length-prefixed by one byte). */
export const MAX_METHOD_BYTES = 255;
/** Remaining-deadline value meaning "the sender set no deadline". */
export const NO_DEADLINE = 0xffffffff;

/** Encodes a method name once, so each call can reuse the bytes. */
export function encodeMethodName(name: string): Uint8Array {
  return utf8Encoder.encode(name);
}

/**
 * Fixed part of a REQUEST body: u32 deadline, u32 in-flight span, u32 known
 * server incarnation, u8 codec id, u8 method length (protocol.md §5.1).
 */
export const REQUEST_FIXED_BYTES = 14;
/** In-flight span value meaning "no information: release nothing" (protocol.md §6.3). */
export const NO_SPAN = 0xffffffff;

/** A decoded REQUEST body. */
export interface RequestBody {
  /** Milliseconds the caller will still wait, measured when the request was sent. */
  deadlineMs: number;
  /**
   * `id − oldest id the client still has in flight` (mod 2^32): every call of
   * this session with an id before that oldest one is finished at the client,
   * so the server may forget it and drop any late copy (protocol.md §6.3).
   * `NO_SPAN` when the sender does not say.
   */
  inFlightSpan: number;
  /**
   * The server incarnation the client last heard from this server, or 0 when
   * it has heard none (protocol.md §5.1, §6.3).
   */
  incarnation: number;
  /** Codec id of the payload (protocol.md §5.1). */
  codec: number;
  /** The wire method name, `service.method`. */
  method: string;
  /** The encoded argument. */
  payload: Uint8Array;
}

function writeRequestBody(
  buf: Uint8Array,
  at: number,
  deadlineMs: number,
  span: number,
  incarnation: number,
  codec: number,
  method: Uint8Array,
  payload: Uint8Array,
): void {
  checkMethodLength(method);
  writeU32(buf, at, clampU32(deadlineMs));
  writeU32(buf, at + 4, span >>> 0);
  writeU32(buf, at + 8, incarnation >>> 0);
  buf[at + 12] = codec & 0xff;
  buf[at + 13] = method.length;
  buf.set(method, at + REQUEST_FIXED_BYTES);
  buf.set(payload, at + REQUEST_FIXED_BYTES + method.length);
}

/** Builds the body of a REQUEST (protocol.md §5.1). */
export function encodeRequestBody(
  deadlineMs: number,
  method: Uint8Array,
  payload: Uint8Array,
  inFlightSpan = NO_SPAN,
  incarnation = 0,
  codec = 0,
): Uint8Array {
  checkMethodLength(method);
  const body = new Uint8Array(REQUEST_FIXED_BYTES + method.length + payload.length);
  writeRequestBody(body, 0, deadlineMs, inFlightSpan, incarnation, codec, method, payload);
  return body;
}

/**
 * The head of a REQUEST body (protocol.md §5.1): the fixed fields and the
 * method name, which the payload follows. For a request sent in fragments,
 * whose payload is not copied behind it (recovery/message-body.ts).
 */
export function encodeRequestHead(deadlineMs: number, method: Uint8Array, inFlightSpan = NO_SPAN, incarnation = 0, codec = 0): Uint8Array {
  return encodeRequestBody(deadlineMs, method, EMPTY, inFlightSpan, incarnation, codec);
}

const EMPTY = new Uint8Array(0);

/** Builds an unfragmented REQUEST frame in a single allocation (the hot path). */
export function encodeRequestFrame(
  h: FrameHeader,
  deadlineMs: number,
  method: Uint8Array,
  payload: Uint8Array,
  inFlightSpan = NO_SPAN,
  incarnation = 0,
  codec = 0,
): Uint8Array {
  checkMethodLength(method);
  const buf = new Uint8Array(HEADER_BYTES + REQUEST_FIXED_BYTES + method.length + payload.length);
  writeHeader(buf, h);
  buf[4] = buf[4]! & ~Flag.FRAGMENT;
  writeRequestBody(buf, HEADER_BYTES, deadlineMs, inFlightSpan, incarnation, codec, method, payload);
  return buf;
}

/** Parses a REQUEST body; never throws. */
export function decodeRequestBody(body: Uint8Array): Result<RequestBody, FrameError> {
  const r = parseRequestBody(body);
  return typeof r === 'string' ? err(r) : ok(r);
}

/** {@link decodeRequestBody} without the Result wrapper (the server's hot path). Never throws. */
export function parseRequestBody(body: Uint8Array): RequestBody | FrameError {
  if (body.length < REQUEST_FIXED_BYTES) return 'truncated';
  const methodLength = body[13]!;
  if (body.length < REQUEST_FIXED_BYTES + methodLength) return 'truncated';
  const method = decodeMethodName(body.subarray(REQUEST_FIXED_BYTES, REQUEST_FIXED_BYTES + methodLength));
  if (method === undefined) return 'malformed';
  return {
    deadlineMs: readU32(body, 0),
    inFlightSpan: readU32(body, 4),
    incarnation: readU32(body, 8),
    codec: body[12]!,
    method,
    payload: body.subarray(REQUEST_FIXED_BYTES + methodLength),
  };
}

function checkMethodLength(method: Uint8Array): void {
  if (method.length > MAX_METHOD_BYTES) {
    throw new RangeError(`method name is ${method.length} bytes; the wire allows ${MAX_METHOD_BYTES}`);
  }
}

// Most requests name the method the previous one named: remember the last
// one, so the common case is a short byte comparison instead of a UTF-8 decode.
let lastMethodBytes = new Uint8Array(0);
let lastMethod = '';

function decodeMethodName(bytes: Uint8Array): string | undefined {
  if (bytes.length === lastMethodBytes.length && bytes.length > 0) {
    let same = true;
    for (let i = 0; i < bytes.length; i++) {
      if (bytes[i] !== lastMethodBytes[i]) {
        same = false;
        break;
      }
    }
    if (same) return lastMethod;
  }
  const method = decodeUtf8(bytes);
  if (method !== undefined) {
    lastMethodBytes = bytes.slice();
    lastMethod = method;
  }
  return method;
}
