/**
 * `@udprpc/core/wire` — the bytes on the wire (docs/protocol.md §3–§5): frame
 * headers and bodies, batches, fragment acknowledgements, message ids and
 * the reasons a received datagram is dropped. Pure functions that never
 * throw on bad input (they return a {@link Result} or an error string). For
 * transports that look inside datagrams (auth-psk), tools (the CLI) and
 * protocol tests; an application needs none of it.
 *
 * @packageDocumentation
 * @module @udprpc/core/wire
 */
export { ok, err, type Result } from './result.js';
export {
  MAGIC,
  VERSION,
  HEADER_BYTES,
  MAX_UDP_PAYLOAD,
  FrameType,
  Flag,
  type FrameHeader,
} from './frame-header.js';
export {
  FRAGMENT_EXT_BYTES,
  encodeFrame,
  decodeFrame,
  parseFrame,
  type Frame,
  type FrameError,
  type FragmentInfo,
} from './frame.js';
export {
  MAX_METHOD_BYTES,
  NO_DEADLINE,
  parseRequestBody,
  encodeRequestBody,
  decodeRequestBody,
  encodeRequestFrame,
  encodeMethodName,
  type RequestBody,
} from './request-body.js';
export { encodeErrorBody, decodeErrorBody, type ErrorBody } from './error-body.js';
export { encodeBatch, splitBatch, MAX_BATCH_FRAMES } from './batch.js';
export { encodeGoAwayFrame, parseGoAwayBody, GOAWAY_BODY_BYTES, type GoAwayBody } from './goaway.js';
export {
  MetadataKind,
  DEFAULT_MAX_METADATA_BYTES,
  MAX_METADATA_BLOCK_BYTES,
  MAX_METADATA_KEY_BYTES,
  RESERVED_METADATA_PREFIX,
  encodeMetadataBlock,
  decodeMetadataBlock,
  metadataBlockSize,
  metadataRetainedBytes,
  metadataKeyProblem,
  splitMetadata,
  withMetadataBlock,
  type MetadataEncodeFailure,
  type SplitMetadata,
} from './metadata.js';
export { decodeFragmentAck, encodeFragmentAck, maxAckRanges, type FragmentAck } from './fragment-ack.js';
export {
  encodePmtuProbe,
  encodePmtuProbeReply,
  MIN_PMTU_PROBE_BYTES,
  parsePmtuProbe,
  parsePmtuProbeReply,
  PMTU_PROBE_BODY_BYTES,
  type PmtuProbe,
} from './pmtu-probe.js';
export { MessageIds, randomSession } from './message-ids.js';
export type { DropReason, DropCounts } from './drop-reason.js';
