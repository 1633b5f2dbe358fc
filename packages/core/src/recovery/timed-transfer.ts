import type { FragmentAck } from '../wire/fragment-ack.js';
import type { FrameHeader, FrameType } from '../wire/frame-header.js';
import type { MessageBody } from './message-body.js';
import { OutgoingTransfer } from './outgoing-transfer.js';
import { windowFor } from '../congestion/congestion-window.js';
import type { RttEstimator } from './rtt-estimator.js';
import { TimerHeap, type Timed } from '../timer/timer-heap.js';

/**
 * PTO before the transfer has an RTT sample: the client's `initialRtoMs`
 * (200 ms), for a sender that knows nothing of the path yet.
 */
export const INITIAL_PTO_MS = 200;
/** Backing off doubles the PTO up to this (a PTO already longer is kept). */
export const MAX_PTO_MS = 1000;
/**
 * Consecutive probes without progress after which a transfer stops probing
 * and leaves recovery to the other side (protocol.md §7.3): a client's call
 * timer, or, for a request, the client's own retransmission timer. Bounds
 * what a message whose final acknowledgement was lost (the receiver is done
 * and ignores the probes) costs: at most this many fragments.
 */
export const MAX_PROBES = 5;

/**
 * The policy of an estimator that times only transfers (a server's, per
 * client address: server/source-table.ts): its PTO is {@link INITIAL_PTO_MS}
 * before any sample (RttEstimator.ptoMs). Transfers read no RTO, so it has no
 * floor or ceiling.
 */
export const TRANSFER_RTT_POLICY = Object.freeze({ initialRtoMs: INITIAL_PTO_MS, minRtoMs: 0, maxRtoMs: Infinity });

/** What the timers of one sender's transfers sent, for its stats. */
export interface TransferTimerCounts {
  /** Fragments resent when a loss timer fired. */
  lossResends: number;
  /** Fragments sent as probes. */
  probes: number;
}

/**
 * One fragmented message (protocol.md §7.3) — the {@link OutgoingTransfer}
 * that decides which fragments go out — plus its sender's loss and probe
 * timer: QUIC's loss detection and probe timeout (RFC 9002 §6.1.2, §6.2).
 * Servers use it for replies, clients for requests. Without it, a lost tail
 * (the last fragments of a burst, or the ack that answers them) waits for the
 * other side's, or the client's own, retransmission timer.
 *
 * - **Loss timer.** When the transfer knows of a fragment sent before an
 *   acknowledged one that is not yet old enough to count as lost
 *   ({@link OutgoingTransfer.lossTimeAt}), the timer fires at the time it
 *   will be; fragments in flight for an SRTT or more are then lost and resent.
 * - **Probe timer (PTO).** Otherwise, while fragments are unacknowledged, it
 *   fires `PTO × 2^probes` after the last send, `PTO = SRTT + max(4·RTTVAR,
 *   1 ms)`, doubling up to {@link MAX_PTO_MS}. A probe resends one
 *   fragment — the lowest unacknowledged, with ACK_REQUESTED — (or new
 *   ones, should the window have room); nothing is declared lost and the
 *   window stays (RFC 9002 §7.5): the receiver's ack of the probe shows
 *   what is missing, and the ack rules (§7.3) resend it and halve.
 *
 * The timer stops when the message is fully acknowledged, when
 * {@link liveUntil} says the transfer is no longer wanted, at the time it
 * gives (the call's deadline), and after {@link MAX_PROBES} probes in a row
 * without progress. Subclasses say what "wanted" means for their side; the
 * engine arms one real timer for all of them ({@link TransferTimers}).
 */
export abstract class TimedTransfer implements Timed {
  readonly out: OutgoingTransfer;
  timerAt = 0;
  heapIndex = -1;
  /** Probes sent since the last progress. */
  private probes = 0;
  /** When the last fragments went out. */
  private lastSendAt = 0;
  /** When the transfer first sent, or last made progress (black-hole detection, protocol.md §7.5). */
  progressAt = 0;
  /** When the last probe went out (acks may answer it rather than the fragment they seem to time). */
  private lastProbeAt = -Infinity;
  /** When each fragment was first sent; -1 once it was resent (Karn: its acks are ambiguous). */
  private readonly firstSentAt: Float64Array;
  private highestSent = -1;
  private highestSampled = -1;

  constructor(
    type: FrameType,
    body: Uint8Array | MessageBody,
    fragmentBytes: number,
    private readonly timers: TransferTimers<TimedTransfer>,
    /**
     * The path's RTT estimator, which the transfer's samples feed and its PTO
     * and loss threshold read. Never the transfer's own: a client passes its
     * peer estimator (§7.1), so calls and transfers to one server share one
     * estimate; a server its client address's (§7.3 "Reply timers"), so each
     * reply starts from what the earlier ones to that client measured.
     */
    readonly rtt: RttEstimator,
  ) {
    this.out = new OutgoingTransfer(type, body, fragmentBytes, windowFor(fragmentBytes), rtt);
    this.firstSentAt = new Float64Array(this.out.count);
  }

  /**
   * Until when the timer may run (the call's deadline: after it nobody waits
   * for the message), or undefined when the transfer no longer sends at all.
   */
  abstract liveUntil(): number | undefined;

  get body(): MessageBody {
    return this.out.body;
  }

  get complete(): boolean {
    return this.out.complete;
  }

  /** Probes sent since the last progress (for tests and stats). */
  get probesInARow(): number {
    return this.probes;
  }

  /** Encodes fragment `index` (see {@link OutgoingTransfer.frame}). */
  frame(header: FrameHeader, index: number, ackRequested: boolean): Uint8Array {
    return this.out.frame(header, index, ackRequested);
  }

  /** Fragment `index` as head and body chunks (see {@link OutgoingTransfer.frameChunks}). */
  frameChunks(header: FrameHeader, index: number, ackRequested: boolean): Uint8Array[] {
    return this.out.frameChunks(header, index, ackRequested);
  }

  /** The first window, or fragments an ack made room for. */
  nextToSend(now: number): number[] {
    return this.sent(this.out.nextToSend(now), now);
  }

  /**
   * A timeout from outside the transfer (the client's call timer; a server
   * told by STALLED, a duplicate request, a validation echo): the fragments in
   * flight for at least `minAgeMs` (and an SRTT) are lost.
   */
  resend(now: number, minAgeMs: number): number[] {
    return this.sent(this.out.onTimeout(now, minAgeMs), now);
  }

  /** Applies a FRAGMENT_ACK; returns whether it acknowledged anything new. */
  onAck(ack: FragmentAck, now: number): boolean {
    // Sampled first: the loss time threshold of this very ack reads the estimate.
    if (!this.out.complete) this.sampleRtt(ack, now);
    const progressed = this.out.onAck(ack, now);
    if (progressed) {
      this.probes = 0;
      this.progressAt = now;
    }
    this.arm(now);
    return progressed;
  }

  /** The receiver has the whole message (it said so another way, e.g. by ACK): the timer stops. */
  acknowledgeAll(): void {
    this.out.acknowledgeAll();
    this.stop();
  }

  /** The timer fired: what to send (possibly nothing). */
  onTimer(now: number): number[] {
    const lossAt = this.out.lossTimeAt();
    // Fragments in flight for an SRTT are lost (minimum age "just above 0":
    // not a full timeout, and no 1 ms floor that would keep the fragment due
    // now from counting as lost on a sub-millisecond path).
    if (lossAt !== undefined && lossAt <= now) {
      const resent = this.sent(this.out.onTimeout(now, Number.MIN_VALUE), now);
      this.timers.lossResends += resent.length;
      return resent;
    }
    // A probe: mark nothing lost (a minimum age no fragment has), send the
    // lowest unacknowledged fragment or new ones.
    this.probes++;
    this.lastProbeAt = now;
    const probe = this.sent(this.out.onTimeout(now, Number.POSITIVE_INFINITY), now);
    this.timers.probes += probe.length;
    return probe;
  }

  /** Takes the transfer's timer down (it is complete, or no longer wanted). */
  stop(): void {
    this.timers.delete(this);
  }

  private sent(indexes: number[], now: number): number[] {
    if (this.highestSent < 0 && indexes.length > 0) this.progressAt = now;
    for (let k = 0; k < indexes.length; k++) {
      const i = indexes[k]!;
      if (i > this.highestSent) {
        this.highestSent = i;
        this.firstSentAt[i] = now;
      } else {
        this.firstSentAt[i] = -1;
      }
    }
    if (indexes.length > 0) this.lastSendAt = now;
    this.arm(now);
    return indexes;
  }

  // One sample per ack at most: the highest fragment it covers, if that was
  // sent once, after the last probe, and not sampled before (RFC 6298 §2).
  private sampleRtt(ack: FragmentAck, now: number): void {
    const last = ack.ranges[ack.ranges.length - 1];
    const highest = Math.min(this.out.count, Math.max(ack.cumulative, last?.[1] ?? 0)) - 1;
    if (highest <= this.highestSampled || highest > this.highestSent) return;
    this.highestSampled = highest;
    const sentAt = this.firstSentAt[highest]!;
    if (sentAt < 0 || sentAt < this.lastProbeAt) return;
    this.rtt.sample(now - sentAt);
  }

  /** The PTO before backing off. */
  get basePtoMs(): number {
    return this.rtt.ptoMs;
  }

  private get ptoMs(): number {
    const base = this.rtt.ptoMs;
    // Backing off stops at MAX_PTO_MS, but never cuts the PTO itself.
    return Math.max(base, Math.min(MAX_PTO_MS, base * 2 ** this.probes));
  }

  private arm(now: number): void {
    const until = this.out.complete ? undefined : this.liveUntil();
    if (until === undefined) return this.stop();
    let at = this.out.lossTimeAt();
    // A loss time already past is a probe's business (never a busy loop).
    if (at === undefined || at <= now) {
      if (this.probes >= MAX_PROBES) return this.stop();
      at = this.lastSendAt + this.ptoMs;
    }
    if (at >= until) return this.stop();
    this.timers.set(this, Math.max(now, at));
  }
}

/**
 * The timers of all fragmented messages one engine sends: one heap, on which
 * the engine arms its one real timer, and what they sent.
 */
export class TransferTimers<T extends TimedTransfer> extends TimerHeap<T> implements TransferTimerCounts {
  lossResends = 0;
  probes = 0;

  /** Removes and returns the next transfer whose timer is due and that may still send. */
  override popDue(now: number): T | undefined {
    for (let t = super.popDue(now); t !== undefined; t = super.popDue(now)) {
      if (!t.complete && t.liveUntil() !== undefined) return t;
    }
    return undefined;
  }

  nextTimerAt(): number | undefined {
    return this.peek()?.timerAt;
  }
}
