/**
 * Probes in a row without progress after which a transfer in datagrams above
 * the base size is taken to have met a black hole (protocol.md §7.5; RFC 8899
 * §4.3): the path's size falls back to the base. Two, not one: a single
 * unanswered probe is as likely an ordinary loss, and the first probe of a
 * burst of losses comes one PTO after the last send, the second two PTOs
 * later, so detection costs about three PTOs (a few RTTs).
 */
export const BLACK_HOLE_PROBES = 2;

/** What black-hole detection needs of a transfer (request or reply). */
export interface StallCounted {
  /** PTO probes since the last progress (TimedTransfer). */
  readonly probesInARow: number;
  /** Resends the other side's transmissions asked for since the last progress. */
  stalls: number;
}

/**
 * Whether a transfer has gone {@link BLACK_HOLE_PROBES} probes or resends
 * without progress: its own PTO probes and the resends the other side's
 * retransmissions triggered both count, since either resets the other's
 * clock (a client that retransmits every RTO keeps the server's PTO from
 * ever firing twice).
 */
export function stalledTooLong(t: StallCounted): boolean {
  return t.probesInARow + t.stalls >= BLACK_HOLE_PROBES;
}
