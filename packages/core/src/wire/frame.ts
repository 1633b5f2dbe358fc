import { readU16, readU32, writeU16, writeU32 } from './byte-io.js';
import { Flag, FrameType, HEADER_BYTES, MAGIC, VERSION, writeHeader, type FrameHeader } from './frame-header.js';
import { err, ok, type Result } from './result.js';

// A whole frame, specified byte by byte in docs/protocol.md §3: the header
// (frame-header.ts), the fragment extension when FRAGMENT is set, then the
// body. Encoders allocate exactly one buffer per frame; decoders never throw
// and return subarray views into the datagram (no copies).

/** Size of the fragment extension present when {@link Flag.FRAGMENT} is set. */
export const FRAGMENT_EXT_BYTES = 10;

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

/** Encodes a whole frame: header, optional fragment extension, then `body`. */
export function encodeFrame(h: FrameHeader, body: Uint8Array, fragment?: FragmentInfo): Uint8Array {
  const ext = fragment === undefined ? 0 : FRAGMENT_EXT_BYTES;
  const buf = new Uint8Array(HEADER_BYTES + ext + body.length);
  if (fragment !== undefined) {
    writeFragmentHead(buf, h, fragment);
  } else {
    writeHeader(buf, h);
    buf[4] = buf[4]! & ~Flag.FRAGMENT;
  }
  buf.set(body, HEADER_BYTES + ext);
  return buf;
}

/**
 * The first {@link FRAGMENT_HEAD_BYTES} bytes of a fragment's frame: its
 * header and fragment extension. The fragment's body follows them in the
 * datagram; sent as a second chunk, it need not be copied next to them
 * (`encodeFrame(h, body, fragment)` is the two joined).
 */
export function encodeFragmentHead(h: FrameHeader, fragment: FragmentInfo): Uint8Array {
  const buf = new Uint8Array(FRAGMENT_HEAD_BYTES);
  writeFragmentHead(buf, h, fragment);
  return buf;
}

/** Bytes before a fragment's body: the header and the fragment extension. */
export const FRAGMENT_HEAD_BYTES = HEADER_BYTES + FRAGMENT_EXT_BYTES;

function writeFragmentHead(buf: Uint8Array, h: FrameHeader, fragment: FragmentInfo): void {
  writeHeader(buf, h);
  buf[4] = buf[4]! | Flag.FRAGMENT;
  writeU32(buf, HEADER_BYTES, fragment.totalBytes);
  writeU32(buf, HEADER_BYTES + 4, fragment.index);
  writeU16(buf, HEADER_BYTES + 8, fragment.fragmentBytes);
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
