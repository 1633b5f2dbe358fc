import type { FrameError } from './frame.js';

/**
 * Why a datagram or frame was discarded. Every discard is counted under its
 * reason in `stats().drops` and reported through the `drop` event.
 */
export type DropReason =
  | FrameError
  /** A reply for a call that is not (or no longer) in flight. */
  | 'unknown-call'
  /** A reply from an address other than the one the request was sent to. */
  | 'wrong-peer'
  /** A frame type this side never receives (e.g. a REQUEST at a client). */
  | 'unexpected-frame'
  /** A request whose deadline had passed on arrival. */
  | 'expired'
  /** A retransmission of a call the server has cancelled. */
  | 'cancelled-call'
  /** A copy of something already received (a repeated fragment, a repeated notification). */
  | 'duplicate'
  /** A payload the codec could not decode. */
  | 'undecodable-payload'
  /** A datagram above the receiver's size limit. */
  | 'oversize'
  /** The source address sent more datagrams than its rate limit allows. */
  | 'rate-limited'
  /** A notification that arrived while handlers and queue were full. */
  | 'overloaded'
  /** A notification that arrived while the server drains (protocol.md §5.9). */
  | 'going-away'
  /** An address-validation echo whose token did not verify. */
  | 'bad-token';

/** Counters of drops, by reason. */
export type DropCounts = Partial<Record<DropReason, number>>;

/** Increments `counts[reason]`. */
export function countDrop(counts: DropCounts, reason: DropReason): void {
  counts[reason] = (counts[reason] ?? 0) + 1;
}
