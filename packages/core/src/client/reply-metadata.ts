import { RpcError } from '../errors.js';
import type { FrameError } from '../wire/frame.js';
import { metadataBlockSize, splitMetadata, type SplitMetadata } from '../wire/metadata.js';

/**
 * Takes the metadata block off a whole reply body whose frame had
 * HAS_METADATA set (protocol.md §5.8): the metadata and the rest of the
 * body; a FrameError for a block to drop (`truncated`, `malformed`); or, for
 * a block above the client's `maxBytes`, the RpcError the call fails with
 * (RESOURCE_EXHAUSTED, decided locally: the handler did run).
 */
export function takeReplyMetadata(body: Uint8Array, maxBytes: number): SplitMetadata | FrameError | RpcError {
  const split = splitMetadata(body, maxBytes);
  if (split !== 'too-large') return split;
  const size = metadataBlockSize(body, 0) as number;
  return new RpcError('RESOURCE_EXHAUSTED', `reply metadata is ${size} bytes, above the client's ${maxBytes}-byte limit`);
}
