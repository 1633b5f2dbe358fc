import type { RetryPolicy } from './retry-policy.js';

/**
 * Smoothed RTT and RTO for one peer, per RFC 6298 §2 (α = 1/8, β = 1/4,
 * K = 4, G = 1 ms): the one estimator of a path, fed by the calls to the peer
 * and by the fragmented messages sent to it, and read by both — calls take
 * {@link rtoMs}, transfers {@link ptoMs} and the SRTT of their loss time
 * threshold. A client keeps one per server (flowcontrol/peer-state.ts), a
 * server one per client address, for its replies (server/source-table.ts);
 * no transfer has one of its own. Samples must follow Karn's rule: the
 * caller only feeds an RTT measured for a specific transmission (for a call,
 * the header's attempt number makes that unambiguous, protocol.md §3.2; for a
 * fragment, a first transmission sent after the last probe, timed-transfer.ts).
 */
export class RttEstimator {
  /** Smoothed RTT, undefined until the first sample. */
  srttMs: number | undefined;
  /** The last sample, for the loss time threshold (call-loss-detector.ts). */
  latestMs: number | undefined;
  /** RTT variation. */
  rttvarMs = 0;
  private rto: number;

  constructor(private readonly policy: Pick<RetryPolicy, 'initialRtoMs' | 'minRtoMs' | 'maxRtoMs'>) {
    this.rto = policy.initialRtoMs;
  }

  /** The current retransmission timeout, in ms. */
  get rtoMs(): number {
    return this.rto;
  }

  /**
   * The probe timeout of RFC 9002 §6.2.1, `SRTT + max(4·RTTVAR, 1 ms)`, with
   * none of the RTO's floor or ceiling; before any sample, the initial RTO.
   */
  get ptoMs(): number {
    return this.srttMs === undefined ? this.policy.initialRtoMs : this.srttMs + Math.max(1, 4 * this.rttvarMs);
  }

  /** Adds one RTT sample (ms). */
  sample(rttMs: number): void {
    const r = Math.max(0, rttMs);
    this.latestMs = r;
    if (this.srttMs === undefined) {
      this.srttMs = r;
      this.rttvarMs = r / 2;
    } else {
      this.rttvarMs = 0.75 * this.rttvarMs + 0.25 * Math.abs(this.srttMs - r);
      this.srttMs = 0.875 * this.srttMs + 0.125 * r;
    }
    const raw = this.srttMs + Math.max(1, 4 * this.rttvarMs);
    this.rto = Math.min(this.policy.maxRtoMs, Math.max(this.policy.minRtoMs, raw));
  }
}
