import { RpcError } from './errors.js';
import { encodeMetadataBlock, type MetadataInit } from './wire/metadata.js';

/**
 * Encodes call metadata for sending (protocol.md §5.8): the block, or
 * undefined when `init` is undefined or has no entries (then nothing is sent
 * and HAS_METADATA stays clear). Throws an RpcError: INVALID_ARGUMENT for an
 * invalid or reserved key or a value that is neither a string nor a
 * Uint8Array, RESOURCE_EXHAUSTED for a block above `maxBytes`.
 */
export function encodeMetadataForSend(init: MetadataInit | undefined, maxBytes: number, what: 'request' | 'reply'): Uint8Array | undefined {
  if (init === undefined) return undefined;
  if (typeof init !== 'object' || init === null) {
    throw new RpcError('INVALID_ARGUMENT', `${what} metadata must be an object of key to string or Uint8Array`);
  }
  const block = encodeMetadataBlock(init, maxBytes);
  if (block === undefined || block instanceof Uint8Array) return block;
  throw new RpcError(block.problem === 'invalid' ? 'INVALID_ARGUMENT' : 'RESOURCE_EXHAUSTED', `${what} ${block.message}`);
}
