/**
 * Probes in a row without progress after which a transfer in datagrams above
 * the base size is taken to have met a black hole (protocol.md §7.5; RFC 8899
 * §4.3): the path's size falls back to the base. Two, not one: a single
 * unanswered probe is as likely an ordinary loss, and the first probe of a
 * burst of losses comes one PTO after the last send, the second two PTOs
 * later, so detection costs about three PTOs (a few RTTs).
 */
export const BLACK_HOLE_PROBES = 2;
