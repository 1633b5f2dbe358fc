import { bytesIO } from '../wire/byte-io.js';
import { randomSession } from '../wire/message-ids.js';

/**
 * This server's incarnation and the restart rule of protocol.md §6.3: a
 * random, non-zero number drawn at start that ACKs carry, so that a
 * retransmission that may have reached an earlier incarnation of the server
 * at this address is refused rather than run a second time.
 */
export class Incarnation {
  /** The incarnation number. */
  readonly value: number;
  /** The ACK body: the incarnation, big-endian (protocol.md §5.4). */
  readonly ackBody = new Uint8Array(4);
  private startedAt: number | undefined;

  constructor(
    random: () => number,
    startedAt: number | undefined,
    /** How long after the start a call whose client knew no incarnation is suspect. */
    private readonly startupGraceMs: number,
  ) {
    this.value = randomSession(random);
    bytesIO.writeU32(this.ackBody, 0, this.value);
    this.startedAt = startedAt;
  }

  /** A datagram arrived at `now`: without a start time given, the server started then. */
  noteDatagram(now: number): void {
    this.startedAt ??= now;
  }

  /**
   * Whether a call whose copies carry `known` (the incarnation its client
   * knew when it started the call, 0 for none) may have reached an earlier
   * incarnation of this server (protocol.md §6.3): it knew another one, or
   * it knew none and we started less than an entry lifetime ago.
   */
  mayPredate(known: number, now: number): boolean {
    if (known !== 0) return known !== this.value;
    return now - (this.startedAt ?? now) < this.startupGraceMs;
  }
}
