/**
 * The congestion window of one message sent in fragments (protocol.md §7.3
 * "Window"), in fragments: AIMD as TCP Reno (RFC 5681). It grows while
 * fragments are acknowledged — by one fragment per fragment below the slow
 * start threshold, by about one per window above it — up to a largest window,
 * and halves on loss at most once per flight. The transfer numbers its sends
 * 0, 1, 2, … (resends included) and tells the window which send was lost;
 * losses of sends made before the last reduction belong to it.
 */
export class CongestionWindow {
  /** The window, fractional during additive increase. */
  private cwnd: number;
  private ssthresh: number;
  /**
   * Sends made when the window was last reduced (0 before any): sends
   * numbered below it belong to the flight that reduction answered; the
   * first send numbered at or above it starts a new flight.
   */
  private recoverySeq = 0;

  constructor(
    /** The first window, and the one a retransmission timeout starts over from. */
    readonly initial: number,
    /** Largest window, in fragments. */
    readonly max: number,
  ) {
    this.cwnd = initial;
    // No slow start: a fresh transfer knows nothing of the receiver's buffer,
    // and overflowing it costs a retransmission timeout. Grow linearly.
    this.ssthresh = initial;
  }

  /** Fragments that may be in flight. */
  get fragments(): number {
    return Math.floor(this.cwnd);
  }

  /** `n` fragments not acknowledged before were (applied after the ack's losses). */
  onAcked(n: number): void {
    if (n === 0) return;
    this.cwnd += this.cwnd < this.ssthresh ? n : n / this.cwnd;
    if (this.cwnd > this.max) this.cwnd = this.max;
  }

  /** The fragment sent as send number `sentSeq` is lost; `sends` sends have been made. Halves once per flight. */
  onLost(sentSeq: number, sends: number): void {
    if (sentSeq >= this.recoverySeq) this.reduce(this.cwnd / 2, sends);
  }

  /**
   * Everything in flight is presumed lost: a retransmission timeout starts
   * over from the initial window (`restart`), a resend the other side asked
   * for halves. Once per flight: only when a send was made since the last
   * reduction. (A PTO probe is no loss and does not come here, RFC 9002 §7.5.)
   */
  onTimeout(sends: number, restart: boolean): void {
    if (sends > this.recoverySeq) this.reduce(restart ? this.initial : this.cwnd / 2, sends);
  }

  private reduce(to: number, sends: number): void {
    this.ssthresh = Math.max(2, this.cwnd / 2);
    this.cwnd = Math.max(2, to);
    this.recoverySeq = sends;
  }
}

/**
 * The initial window of a transfer: at most 64 fragments and ~128 KiB, since
 * Linux's default socket receive buffer (212,992 bytes of kernel accounting)
 * overflows beyond that. The window then grows while nothing is lost
 * ({@link maxWindowFor}) and halves on loss.
 */
export function windowFor(fragmentBytes: number, windowBytes = 128 * 1024, maxFragments = 64): number {
  return Math.max(2, Math.min(maxFragments, Math.floor(windowBytes / fragmentBytes)));
}

/**
 * How far a transfer's window may grow while nothing is lost. Small fragments:
 * up to 1 MiB or 1024 fragments — the receiver drains as the acks clock new
 * sends, so the window can exceed its socket buffer. Fragments of 8 KiB or
 * more: no growth — Linux's default receive buffer (212,992 bytes of kernel
 * accounting) holds only about three 64 KiB datagrams, and overflowing it
 * costs a retransmission timeout (protocol.md §7.3). Measured on loopback
 * with `npm run bench -- --only=echo-1mib`.
 */
export function maxWindowFor(fragmentBytes: number, initial: number): number {
  if (fragmentBytes >= 8 * 1024) return initial;
  return Math.max(initial, Math.min(1024, Math.floor((1024 * 1024) / fragmentBytes)));
}
