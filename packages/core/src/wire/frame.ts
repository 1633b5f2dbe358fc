import { err, ok, type Result } from './result.js';

// Frame v1, specified byte by byte in docs/protocol.md §3. All integers are
// big-endian. Encoders allocate exactly one buffer per frame; decoders never
// throw and return subarray views into the datagram (no copies).

/** First two bytes of every frame: ASCII "ur". */
export const MAGIC = 0x7572;
/** The frame format version this code speaks (protocol.md §3.1). */
export const VERSION = 1;
/** Size of the fixed header that starts every frame. */
export const HEADER_BYTES = 14;
/** Size of the fragment extension present when {@link Flag.FRAGMENT} is set. */
export const FRAGMENT_EXT_BYTES = 10;
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

/** Where a fragment's body sits inside the whole message body (protocol.md §3.3). */
export interface FragmentInfo {
  /** Length of the whole message body, in bytes. */
  totalBytes: number;
  /** Zero-based fragment index. */
  index: number;
  /** Body bytes carried by every fragment but the last. */
  fragmentBytes: number;
}

/** A decoded frame. `body` is a view into the datagram it came from. */
export interface Frame extends FrameHeader {
  /** Fragment position, for fragmented messages. */
  fragment: FragmentInfo | undefined;
  /** The body, after the header (and fragment extension). */
  body: Uint8Array;
}

/** Why a datagram could not be decoded as a frame. */
export type FrameError = 'truncated' | 'bad-magic' | 'unsupported-version' | 'unknown-type' | 'malformed';

const MAX_FRAME_TYPE = FrameType.GOAWAY;

function writeU32(buf: Uint8Array, off: number, v: number): void {
  buf[off] = v >>> 24;
  buf[off + 1] = (v >>> 16) & 0xff;
  buf[off + 2] = (v >>> 8) & 0xff;
  buf[off + 3] = v & 0xff;
}

function readU32(buf: Uint8Array, off: number): number {
  return ((buf[off]! << 24) | (buf[off + 1]! << 16) | (buf[off + 2]! << 8) | buf[off + 3]!) >>> 0;
}

function writeU16(buf: Uint8Array, off: number, v: number): void {
  buf[off] = (v >>> 8) & 0xff;
  buf[off + 1] = v & 0xff;
}

function readU16(buf: Uint8Array, off: number): number {
  return (buf[off]! << 8) | buf[off + 1]!;
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

/** Encodes a whole frame: header, optional fragment extension, then `body`. */
export function encodeFrame(h: FrameHeader, body: Uint8Array, fragment?: FragmentInfo): Uint8Array {
  const ext = fragment === undefined ? 0 : FRAGMENT_EXT_BYTES;
  const buf = new Uint8Array(HEADER_BYTES + ext + body.length);
  writeHeader(buf, fragment === undefined ? h : { ...h, flags: h.flags | Flag.FRAGMENT });
  if (fragment !== undefined) {
    writeU32(buf, HEADER_BYTES, fragment.totalBytes);
    writeU32(buf, HEADER_BYTES + 4, fragment.index);
    writeU16(buf, HEADER_BYTES + 8, fragment.fragmentBytes);
  } else {
    buf[4] = buf[4]! & ~Flag.FRAGMENT;
  }
  buf.set(body, HEADER_BYTES + ext);
  return buf;
}

/**
 * Decodes one frame. Never throws: anything that is not a well-formed v1
 * frame yields an error naming why, for the caller to drop and count.
 */
export function decodeFrame(bytes: Uint8Array): Result<Frame, FrameError> {
  const f = parseFrame(bytes);
  return typeof f === 'string' ? err(f) : ok(f);
}

/**
 * {@link decodeFrame} without the Result wrapper, for the engines' hot path:
 * the frame, or the reason it is not one. Never throws.
 */
export function parseFrame(bytes: Uint8Array): Frame | FrameError {
  if (bytes.length < HEADER_BYTES) return 'truncated';
  if (((bytes[0]! << 8) | bytes[1]!) !== MAGIC) return 'bad-magic';
  if (bytes[2] !== VERSION) return 'unsupported-version';
  const type = bytes[3]!;
  if (type < 1 || type > MAX_FRAME_TYPE) return 'unknown-type';
  const flags = bytes[4]!;
  let offset = HEADER_BYTES;
  let fragment: FragmentInfo | undefined;
  if ((flags & Flag.FRAGMENT) !== 0) {
    if (bytes.length < HEADER_BYTES + FRAGMENT_EXT_BYTES) return 'truncated';
    fragment = {
      totalBytes: readU32(bytes, offset),
      index: readU32(bytes, offset + 4),
      fragmentBytes: readU16(bytes, offset + 8),
    };
    offset += FRAGMENT_EXT_BYTES;
    if (!isConsistentFragment(fragment, bytes.length - offset)) return 'malformed';
  }
  return {
    type: type as FrameType,
    flags,
    attempt: bytes[5]!,
    session: readU32(bytes, 6),
    id: readU32(bytes, 10),
    fragment,
    body: bytes.subarray(offset),
  };
}

function isConsistentFragment(f: FragmentInfo, bodyBytes: number): boolean {
  if (f.fragmentBytes === 0) return false;
  const count = Math.ceil(f.totalBytes / f.fragmentBytes);
  if (f.index >= count) return false;
  const expected = f.index === count - 1 ? f.totalBytes - f.index * f.fragmentBytes : f.fragmentBytes;
  return bodyBytes === expected;
}

// ---------------------------------------------------------------------------
// Bodies (protocol.md §5)

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Longest method name, in UTF-8 bytes (it is length-prefixed by one byte). */
export const MAX_METHOD_BYTES = 255;
/** Longest error message carried on the wire, in UTF-8 bytes. */
export const MAX_ERROR_MESSAGE_BYTES = 1024;
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

function decodeUtf8(bytes: Uint8Array): string | undefined {
  try {
    return utf8Decoder.decode(bytes);
  } catch {
    return undefined;
  }
}

// Cuts at a character boundary so the result is still valid UTF-8.
function truncateUtf8(bytes: Uint8Array, max: number): Uint8Array {
  let end = max;
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end);
}

function clampU32(n: number): number {
  if (!(n > 0)) return 0;
  return n >= 0xffffffff ? 0xffffffff : Math.floor(n);
}

/** Exposed for the fragment layer and tests. */
export const bytesIO = { readU32, writeU32, readU16, writeU16 };

// ---------------------------------------------------------------------------
// Batches (protocol.md §3.4): several frames for one peer in one datagram.

/** Bytes a batch adds: its own header, then a u16 length before each frame. */
export const BATCH_OVERHEAD_BYTES = HEADER_BYTES;
/** Length prefix before each frame in a batch. */
export const BATCH_ENTRY_BYTES = 2;
/** Most frames in one batch; a batch with more is malformed and dropped whole. */
export const MAX_BATCH_FRAMES = 512;

const BATCH_HEADER: FrameHeader = { type: FrameType.BATCH, flags: 0, attempt: 0, session: 0, id: 0 };

/** Packs `frames` (each a complete frame, none a batch) into one BATCH frame. */
export function encodeBatch(frames: readonly Uint8Array[]): Uint8Array {
  let size = HEADER_BYTES;
  for (const f of frames) size += BATCH_ENTRY_BYTES + f.length;
  const buf = new Uint8Array(size);
  writeHeader(buf, BATCH_HEADER);
  let at = HEADER_BYTES;
  for (const f of frames) {
    writeU16(buf, at, f.length);
    buf.set(f, at + BATCH_ENTRY_BYTES);
    at += BATCH_ENTRY_BYTES + f.length;
  }
  return buf;
}

/**
 * Splits a BATCH frame's body into its frames (views, no copies). Never
 * throws: a length that overruns the datagram, an empty entry, a nested
 * batch or more than {@link MAX_BATCH_FRAMES} entries make the whole batch
 * malformed.
 */
export function splitBatch(body: Uint8Array): Result<Uint8Array[], FrameError> {
  const frames: Uint8Array[] = [];
  let at = 0;
  while (at < body.length) {
    if (at + BATCH_ENTRY_BYTES > body.length || frames.length >= MAX_BATCH_FRAMES) return err('malformed');
    const length = readU16(body, at);
    const end = at + BATCH_ENTRY_BYTES + length;
    if (length < HEADER_BYTES || end > body.length) return err('malformed');
    const frame = body.subarray(at + BATCH_ENTRY_BYTES, end);
    if (frame[3] === FrameType.BATCH) return err('malformed');
    frames.push(frame);
    at = end;
  }
  if (frames.length === 0) return err('malformed');
  return ok(frames);
}
