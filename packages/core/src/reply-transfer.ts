import { EntryIndex, type CallEntry } from './dedup-cache.js';
import type { FragmentAck } from './fragment-ack.js';
import type { FrameHeader, FrameType } from './frame.js';
import { OutgoingTransfer, windowFor } from './outgoing-transfer.js';
import { TimerHeap, type Timed } from './timer-heap.js';

/**
 * PTO before the transfer has an RTT sample. The client's `initialRtoMs`
 * (200 ms): the server knows nothing of the path yet.
 */
export const INITIAL_PTO_MS = 200;
/** Timer granularity added to the PTO (RFC 9002's kGranularity, 1 ms here as in §7.1). */
const GRANULARITY_MS = 1;
/** Backing off doubles the PTO up to this (a PTO already longer is kept). */
export const MAX_PTO_MS = 1000;
/**
 * Consecutive probes without progress after which the server stops probing
 * and leaves recovery to the client's own timer (protocol.md §7.3). Bounds
 * what a reply whose final acknowledgement was lost (the client is done and
 * ignores the probes) costs: at most this many fragments.
 */
export const MAX_PROBES = 5;

/**
 * A server's reply in fragments (protocol.md §7.3): the {@link OutgoingTransfer}
 * that decides which fragments go out, plus the server's own loss and probe
 * timer for it — QUIC's loss detection and probe timeout (RFC 9002 §6.1.2,
 * §6.2). Without it, a lost tail (the last fragments of a burst, or the ack
 * that answers them) waits for the client's retransmission timer.
 *
 * - **Loss timer.** When the transfer knows of a fragment sent before an
 *   acknowledged one that is not yet old enough to count as lost
 *   ({@link OutgoingTransfer.lossTimeAt}), the timer fires at the time it
 *   will be; fragments in flight for an SRTT or more are then lost and resent
 *   (the same step a client takes for its request, and a server on STALLED).
 * - **Probe timer (PTO).** Otherwise, while fragments are unacknowledged, it
 *   fires `PTO × 2^probes` after the last send, `PTO = SRTT + max(4·RTTVAR,
 *   1 ms)`, doubling up to {@link MAX_PTO_MS}. A probe halves the window
 *   (once per flight, as any loss event) and resends one fragment — the
 *   lowest unacknowledged, with ACK_REQUESTED — (or new ones, should the
 *   window have room); nothing is declared lost: the client's ack of the
 *   probe shows what is missing, and the ack rules (§7.3) resend it.
 *
 * The timer stops when the reply is fully acknowledged, when its entry is
 * forgotten (expired, evicted, released), at the call's deadline, and after
 * {@link MAX_PROBES} probes in a row without progress. The engine skips it
 * while anti-amplification would block the send.
 */
export class ReplyTransfer implements Timed {
  readonly out: OutgoingTransfer;
  timerAt = 0;
  heapIndex = -1;
  /** Probes sent since the last progress. */
  private probes = 0;
  /** When the last fragments went out. */
  private lastSendAt = 0;
  /** When the last probe went out (acks may answer it rather than the fragment they seem to time). */
  private lastProbeAt = -Infinity;
  /** When each fragment was first sent; -1 once it was resent (Karn: its acks are ambiguous). */
  private readonly firstSentAt: Float64Array;
  private highestSent = -1;
  private highestSampled = -1;
  private srttMs: number | undefined;
  private rttvarMs = 0;

  constructor(
    readonly entry: CallEntry,
    type: FrameType,
    body: Uint8Array,
    fragmentBytes: number,
    private readonly timers: ReplyTimers,
  ) {
    this.out = new OutgoingTransfer(type, body, fragmentBytes, windowFor(fragmentBytes));
    this.firstSentAt = new Float64Array(this.out.count);
  }

  get body(): Uint8Array {
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

  /** The first window, or fragments an ack made room for. */
  nextToSend(now: number): number[] {
    return this.sent(this.out.nextToSend(now), now);
  }

  /**
   * The client asked (STALLED, a duplicate request, a validation echo): the
   * fragments in flight for at least `minAgeMs` (and an SRTT) are lost.
   */
  resend(now: number, minAgeMs: number): number[] {
    return this.sent(this.out.onTimeout(now, minAgeMs), now);
  }

  /** Applies a FRAGMENT_ACK; returns whether it acknowledged anything new. */
  onAck(ack: FragmentAck, now: number): boolean {
    const progressed = this.out.onAck(ack, now);
    if (progressed) {
      this.probes = 0;
      this.sampleRtt(ack, now);
    }
    if (this.out.complete) this.stop();
    else this.arm(now);
    return progressed;
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

  /** Takes the transfer's timer down for good (it is complete, or its entry went). */
  stop(): void {
    this.timers.delete(this);
  }

  private sent(indexes: number[], now: number): number[] {
    for (const i of indexes) {
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
    const r = now - sentAt;
    if (this.srttMs === undefined) {
      this.srttMs = r;
      this.rttvarMs = r / 2;
    } else {
      this.rttvarMs = 0.75 * this.rttvarMs + 0.25 * Math.abs(this.srttMs - r);
      this.srttMs = 0.875 * this.srttMs + 0.125 * r;
    }
  }

  private get ptoMs(): number {
    const base = this.srttMs === undefined ? INITIAL_PTO_MS : this.srttMs + Math.max(4 * this.rttvarMs, GRANULARITY_MS);
    // Backing off stops at MAX_PTO_MS, but never cuts the PTO itself.
    return Math.max(base, Math.min(MAX_PTO_MS, base * 2 ** this.probes));
  }

  private arm(now: number): void {
    const entry = this.entry;
    if (this.out.complete || entry.transfer !== this || entry.indexed === EntryIndex.None) return this.stop();
    let at = this.out.lossTimeAt();
    // A loss time already past is a probe's business (never a busy loop).
    if (at === undefined || at <= now) {
      if (this.probes >= MAX_PROBES) return this.stop();
      at = this.lastSendAt + this.ptoMs;
    }
    // After the deadline nobody waits for the reply.
    if (at >= entry.deadlineAt) return this.stop();
    this.timers.set(this, Math.max(now, at));
  }
}

/** The timers of all reply transfers of one server engine (one heap; the engine arms one real timer). */
export class ReplyTimers extends TimerHeap<ReplyTransfer> {
  /** Fragments resent when a loss timer fired. */
  lossResends = 0;
  /** Fragments sent as probes. */
  probes = 0;

  /** Removes and returns the next transfer whose timer is due and that may still send. */
  override popDue(now: number): ReplyTransfer | undefined {
    for (let t = super.popDue(now); t !== undefined; t = super.popDue(now)) {
      if (!t.complete && t.entry.transfer === t && t.entry.indexed !== EntryIndex.None) return t;
    }
    return undefined;
  }

  nextTimerAt(): number | undefined {
    return this.peek()?.timerAt;
  }
}
