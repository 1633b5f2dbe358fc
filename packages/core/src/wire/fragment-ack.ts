import { bytesIO } from './byte-io.js';
import { err, ok, type Result } from './result.js';
import type { FrameError } from './frame.js';

// FRAGMENT_ACK body (protocol.md §5.5): which message it acknowledges, and the
// fragments its sender holds, as a cumulative count plus SACK-style ranges.
//
//   u8  acked frame type (REQUEST when a server acks a request, RESPONSE or
//       ERROR when a client acks a reply)
//   u32 cumulative: every fragment with index < cumulative has arrived
//   u16 range count N
//   N × (u32 start, u32 end)   further fragments [start, end) that arrived
//
// An ack whose cumulative equals the fragment count says "complete".

/** A decoded FRAGMENT_ACK body. */
export interface FragmentAck {
  /** The frame type of the message acknowledged: REQUEST when a server acks a request, RESPONSE or ERROR when a client acks a reply. */
  ackedType: number;
  /** Every fragment with an index below this has arrived; equal to the fragment count when the message is complete. */
  cumulative: number;
  /** Half-open ranges above `cumulative`, ascending and disjoint. */
  ranges: Array<[number, number]>;
}

const FIXED_BYTES = 7;
const RANGE_BYTES = 8;

/** Most ranges that fit in an ack sent within `maxBodyBytes`. */
export function maxAckRanges(maxBodyBytes: number): number {
  return Math.max(0, Math.floor((maxBodyBytes - FIXED_BYTES) / RANGE_BYTES));
}

/** Encodes an ack; ranges beyond what fits are left out (the sender learns of them later). */
export function encodeFragmentAck(ack: FragmentAck, maxBodyBytes: number): Uint8Array {
  const n = Math.min(ack.ranges.length, maxAckRanges(maxBodyBytes), 0xffff);
  const body = new Uint8Array(FIXED_BYTES + n * RANGE_BYTES);
  body[0] = ack.ackedType;
  bytesIO.writeU32(body, 1, ack.cumulative);
  bytesIO.writeU16(body, 5, n);
  for (let i = 0; i < n; i++) {
    const [start, end] = ack.ranges[i]!;
    bytesIO.writeU32(body, FIXED_BYTES + i * RANGE_BYTES, start);
    bytesIO.writeU32(body, FIXED_BYTES + i * RANGE_BYTES + 4, end);
  }
  return body;
}

/** Decodes an ack; never throws. Ranges must be ascending, disjoint and above `cumulative`. */
export function decodeFragmentAck(body: Uint8Array): Result<FragmentAck, FrameError> {
  if (body.length < FIXED_BYTES) return err('truncated');
  const n = bytesIO.readU16(body, 5);
  if (body.length < FIXED_BYTES + n * RANGE_BYTES) return err('truncated');
  const cumulative = bytesIO.readU32(body, 1);
  const ranges: Array<[number, number]> = [];
  let floor = cumulative;
  for (let i = 0; i < n; i++) {
    const start = bytesIO.readU32(body, FIXED_BYTES + i * RANGE_BYTES);
    const end = bytesIO.readU32(body, FIXED_BYTES + i * RANGE_BYTES + 4);
    if (start < floor || end <= start) return err('malformed');
    ranges.push([start, end]);
    floor = end;
  }
  return ok({ ackedType: body[0]!, cumulative, ranges });
}
