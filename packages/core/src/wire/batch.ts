import { readU16, writeU16 } from './byte-io.js';
import type { FrameError } from './frame.js';
import { FrameType, HEADER_BYTES, writeHeader, type FrameHeader } from './frame-header.js';
import { err, ok, type Result } from './result.js';

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
