// What reassembly may hold (protocol.md §7.4): the caps on partial messages
// and what one message is charged against them.

/**
 * Bounds on reassembly memory (protocol.md §7.4). Every byte a peer can make
 * us hold is charged here before it is kept: a message's whole cost, when its
 * first fragment arrives.
 */
export interface ReassemblyLimits {
  /** Largest message accepted, in bytes. 16 MiB. */
  maxMessageBytes: number;
  /** Bytes held for unfinished messages from one peer. 33 MiB (two of the largest messages). */
  maxPeerBytes: number;
  /** Unfinished messages from one peer. 16. */
  maxPeerMessages: number;
  /** Bytes held for unfinished messages overall. 129 MiB (eight of the largest messages). */
  maxTotalBytes: number;
  /** An unfinished message with no new fragment for this long is discarded. 10 s. */
  idleTimeoutMs: number;
}

/**
 * Defaults; see each field. A message of `maxMessageBytes` costs at most
 * `maxReassemblyCostOf(maxMessageBytes)` = 16 MiB + 64.8 KiB, so the
 * per-peer cap holds two of the largest messages and the total cap eight,
 * whatever their fragment size.
 */
export const defaultReassemblyLimits: Readonly<ReassemblyLimits> = Object.freeze({
  maxMessageBytes: 16 * 1024 * 1024,
  maxPeerBytes: 33 * 1024 * 1024,
  maxPeerMessages: 16,
  maxTotalBytes: 129 * 1024 * 1024,
  idleTimeoutMs: 10_000,
});

/**
 * Bookkeeping charged per message on top of its body and fragment flags: the
 * object, its two typed arrays, its key string and map slot. Measured: 750 to
 * 800 bytes on Node 20 (x64), the most for the smallest messages.
 */
const MESSAGE_OVERHEAD_BYTES = 800;
/** Most fragments one message may have; bounds the per-message index array. */
export const MAX_FRAGMENTS = 65_536;

/**
 * What a message of `totalBytes` in fragments of `fragmentBytes` costs while
 * it is reassembled: its bookkeeping, one byte per fragment (which ones have
 * arrived) and the whole body. All of it is allocated, and charged, when its
 * first fragment arrives (protocol.md §7.4), so an admitted message can
 * always finish.
 */
export function reassemblyCostOf(totalBytes: number, fragmentBytes: number): number {
  return MESSAGE_OVERHEAD_BYTES + Math.ceil(totalBytes / fragmentBytes) + totalBytes;
}

/** The most a message of `totalBytes` can cost, whatever its fragment size (at most {@link MAX_FRAGMENTS} fragments). */
export function maxReassemblyCostOf(totalBytes: number): number {
  return MESSAGE_OVERHEAD_BYTES + Math.min(totalBytes, MAX_FRAGMENTS) + totalBytes;
}
