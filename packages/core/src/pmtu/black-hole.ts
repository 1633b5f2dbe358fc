/**
 * Probes in a row without progress after which a transfer in datagrams above
 * the base size is taken to have met a black hole (protocol.md §7.5; RFC 8899
 * §4.3): the path's size falls back to the base. Two, not one: a single
 * unanswered probe is as likely an ordinary loss.
 */
export const BLACK_HOLE_PROBES = 2;

/**
 * ...and the transfer must have made no progress for at least this long (or
 * two PTOs, if longer): the time a path probe is given (§7.5). A receiver
 * that stops reading for a few milliseconds — a garbage collection, a busy
 * event loop — also leaves several PTO probes unanswered on a
 * sub-millisecond path, and is no black hole: falling back for it sent every
 * later large message in 1200-byte datagrams until the next search.
 */
export const BLACK_HOLE_MIN_STALL_MS = 100;

/** What black-hole detection needs of a transfer (request or reply). */
export interface StallCounted {
  /** PTO probes since the last progress (TimedTransfer). */
  readonly probesInARow: number;
  /** Resends the other side's transmissions asked for since the last progress. */
  stalls: number;
  /** When the transfer first sent, or last made progress (TimedTransfer). */
  readonly progressAt: number;
  /** Its PTO before backing off (TimedTransfer). */
  readonly basePtoMs: number;
}

/**
 * Whether a transfer has gone {@link BLACK_HOLE_PROBES} probes or resends,
 * and {@link BLACK_HOLE_MIN_STALL_MS} (or two PTOs), without progress: its
 * own PTO probes and the resends the other side's retransmissions triggered
 * both count, since either resets the other's clock (a client that
 * retransmits every RTO keeps the server's PTO from ever firing twice).
 */
export function stalledTooLong(t: StallCounted, now: number): boolean {
  return t.probesInARow + t.stalls >= BLACK_HOLE_PROBES && now - t.progressAt >= Math.max(BLACK_HOLE_MIN_STALL_MS, 2 * t.basePtoMs);
}
