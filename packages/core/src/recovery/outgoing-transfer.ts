import { Flag, HEADER_BYTES, type FrameHeader, type FrameType } from '../wire/frame-header.js';
import { encodeFragmentHead, encodeFrame, FRAGMENT_EXT_BYTES, type FragmentInfo } from '../wire/frame.js';
import type { FragmentAck } from '../wire/fragment-ack.js';
import { MessageBody } from './message-body.js';
import { CongestionWindow, maxWindowFor } from '../congestion/congestion-window.js';
import type { RttEstimator } from './rtt-estimator.js';

/** Flag bit 0x04 on a fragment: acknowledge at once (protocol.md §3.2). */
export const ACK_REQUESTED = Flag.ACK_REQUESTED;
/** The same bit on a FRAGMENT_ACK: the receiver is stalled, resend what it lacks. */
export const STALLED = Flag.ACK_REQUESTED;

const UNSENT = 0;
const IN_FLIGHT = 1;
const LOST = 2;
const ACKED = 3;

/** Fragments sent after a missing one before it counts as lost (QUIC's kPacketThreshold). */
const REORDER_THRESHOLD = 3;
/** ...and it must also be older than this many smoothed RTTs (QUIC's kTimeThreshold). */
const TIME_THRESHOLD = 9 / 8;

/**
 * The sending side of one fragmented message (protocol.md §7.3): selective
 * repeat over a window of fragments. It decides which fragment indexes go out;
 * the engine encodes and sends them. Loss is detected from acks (a fragment
 * sent `REORDER_THRESHOLD` sends before an acknowledged one is lost) and from
 * the engine's retransmission timer.
 */
export class OutgoingTransfer {
  readonly count: number;
  private readonly state: Uint8Array;
  private readonly sentSeq: Float64Array;
  private readonly sentAt: Float64Array;
  private seq = 0;
  /** Send sequence of the most recently sent fragment acknowledged so far. */
  private largestAckedSeq = -1;
  private nextNew = 0;
  private inFlight = 0;
  private ackedCount = 0;
  /** Lowest index not yet acknowledged. */
  private lowUnacked = 0;
  /** How many fragments may be in flight (congestion/congestion-window.ts). */
  private readonly cwnd: CongestionWindow;

  /** The message: a head the engine writes and the payload, never joined. */
  readonly body: MessageBody;

  constructor(
    readonly type: FrameType,
    body: Uint8Array | MessageBody,
    readonly fragmentBytes: number,
    /** The initial window, in fragments. */
    readonly window: number,
    /**
     * The path's RTT estimator, read for the time threshold (no threshold
     * before its first sample); its sender samples it (timed-transfer.ts).
     * Required: the loss rules and the probe timer must see one SRTT.
     */
    private readonly rtt: Pick<RttEstimator, 'srttMs'>,
    /** Largest window the transfer may grow to, in fragments. */
    readonly maxWindow = maxWindowFor(fragmentBytes, window),
  ) {
    this.body = MessageBody.of(body);
    this.count = Math.ceil(this.body.length / fragmentBytes);
    this.state = new Uint8Array(this.count);
    this.sentSeq = new Float64Array(this.count);
    this.sentAt = new Float64Array(this.count);
    this.cwnd = new CongestionWindow(window, maxWindow);
  }

  private get srttMs(): number {
    return this.rtt.srttMs ?? 0;
  }

  /** The current congestion window, in whole fragments. */
  get congestionWindow(): number {
    return this.cwnd.fragments;
  }

  /** Every fragment has been acknowledged. */
  get complete(): boolean {
    return this.ackedCount === this.count;
  }

  /** Fragments acknowledged so far. */
  get acked(): number {
    return this.ackedCount;
  }

  /** Encodes fragment `index` with `header` (type and FRAGMENT flag are set here). */
  frame(header: FrameHeader, index: number, ackRequested: boolean): Uint8Array {
    return encodeFrame(this.headerOf(header, ackRequested), this.bodyOf(index), this.fragmentOf(index));
  }

  /**
   * Fragment `index` as two chunks to send as one datagram: its head and a
   * view of its body in the message. The same bytes as {@link frame}, without
   * copying the body (a fragment straddling the message's head and tail is
   * the one copied).
   */
  frameChunks(header: FrameHeader, index: number, ackRequested: boolean): Uint8Array[] {
    return [encodeFragmentHead(this.headerOf(header, ackRequested), this.fragmentOf(index)), this.bodyOf(index)];
  }

  private headerOf(header: FrameHeader, ackRequested: boolean): FrameHeader {
    return { ...header, type: this.type, flags: header.flags | (ackRequested ? ACK_REQUESTED : 0) };
  }

  private bodyOf(index: number): Uint8Array {
    const start = index * this.fragmentBytes;
    return this.body.range(start, Math.min(this.body.length, start + this.fragmentBytes));
  }

  private fragmentOf(index: number): FragmentInfo {
    return { totalBytes: this.body.length, index, fragmentBytes: this.fragmentBytes };
  }

  /** Indexes to send now: lost fragments first, then new ones while the window has room. */
  nextToSend(now: number): number[] {
    const out: number[] = [];
    const window = this.cwnd.fragments;
    for (let i = this.lowUnacked; i < this.nextNew && this.inFlight + out.length < window; i++) {
      if (this.state[i] === LOST) out.push(i);
    }
    while (this.nextNew < this.count && this.inFlight + out.length < window) out.push(this.nextNew++);
    for (const i of out) this.markSent(i, now);
    return out;
  }

  /** The receiver has the whole message (it said so another way, e.g. by ACK). */
  acknowledgeAll(): void {
    this.state.fill(ACKED);
    this.ackedCount = this.count;
    this.inFlight = 0;
    this.lowUnacked = this.count;
    this.nextNew = this.count;
  }

  /** Applies an ack; returns whether it acknowledged anything new. */
  onAck(ack: FragmentAck, now: number): boolean {
    let progressed = false;
    let newlyAcked = 0;
    let largestAckedSeq = -1;
    const take = (from: number, to: number): void => {
      for (let i = Math.max(from, this.lowUnacked); i < Math.min(to, this.count); i++) {
        const s = this.state[i];
        if (s === ACKED || s === UNSENT) continue;
        if (s === IN_FLIGHT) this.inFlight--;
        this.state[i] = ACKED;
        this.ackedCount++;
        newlyAcked++;
        progressed = true;
        if (this.sentSeq[i]! > largestAckedSeq) largestAckedSeq = this.sentSeq[i]!;
      }
    };
    take(0, ack.cumulative);
    for (const [start, end] of ack.ranges) take(start, end);
    if (largestAckedSeq > this.largestAckedSeq) this.largestAckedSeq = largestAckedSeq;
    while (this.lowUnacked < this.count && this.state[this.lowUnacked] === ACKED) this.lowUnacked++;
    if (largestAckedSeq >= 0) {
      const sentBefore = now - TIME_THRESHOLD * this.srttMs;
      for (let i = this.lowUnacked; i < this.nextNew; i++) {
        // QUIC's rule (RFC 9002 §6.1): lost once enough later fragments were
        // acknowledged, or once it is older than the time threshold.
        if (
          this.state[i] === IN_FLIGHT &&
          this.sentSeq[i]! < largestAckedSeq &&
          (this.sentSeq[i]! + REORDER_THRESHOLD <= largestAckedSeq || (this.srttMs > 0 && this.sentAt[i]! <= sentBefore))
        ) {
          this.state[i] = LOST;
          this.inFlight--;
          this.cwnd.onLost(this.sentSeq[i]!, this.seq);
        }
      }
    }
    this.cwnd.onAcked(newlyAcked);
    return progressed;
  }

  /**
   * QUIC's loss timer (RFC 9002 §6.1.2): when a fragment sent before an
   * acknowledged one is not yet old enough to count as lost, the time at which
   * it will be (9/8 SRTT after it was sent). Without it, a lost fragment near
   * the end of a message — with too few later fragments to trip the reorder
   * threshold — would wait for a full retransmission timeout.
   */
  lossTimeAt(): number | undefined {
    if (this.srttMs === 0) return undefined;
    let earliest: number | undefined;
    for (let i = this.lowUnacked; i < this.nextNew; i++) {
      if (this.state[i] === IN_FLIGHT && this.sentSeq[i]! < this.largestAckedSeq) {
        const at = this.sentAt[i]! + TIME_THRESHOLD * this.srttMs;
        if (earliest === undefined || at < earliest) earliest = at;
      }
    }
    return earliest;
  }

  /**
   * The retransmission timer fired with no progress: everything in flight is
   * presumed lost. Returns what to send; at least the lowest unacked fragment,
   * so a lost ack is always recovered.
   */
  onTimeout(now: number, minAgeMs = 0): number[] {
    // A real timeout (minAgeMs 0) starts over from the initial window; a
    // resend for missing fragments is treated as one loss event: halve. A
    // probe (a minimum age no fragment has) declares nothing lost and leaves the window as
    // it is (RFC 9002 §7.5): its ack shows what was lost, and that halves. A
    // receiver that stops reading for a moment — a garbage collection — only
    // delays its acks, and must not shrink the window of every transfer.
    const probe = minAgeMs === Number.POSITIVE_INFINITY;
    if (!probe) this.cwnd.onTimeout(this.seq, minAgeMs === 0);
    const sentBefore = now - Math.max(minAgeMs, this.srttMs);
    for (let i = this.lowUnacked; i < this.nextNew; i++) {
      if (this.state[i] === IN_FLIGHT && (minAgeMs === 0 || this.sentAt[i]! <= sentBefore)) {
        this.state[i] = LOST;
        this.inFlight--;
      }
    }
    const out = this.nextToSend(now);
    if (out.length === 0 && !this.complete) {
      this.markSent(this.lowUnacked, now);
      out.push(this.lowUnacked);
    }
    return out;
  }

  private markSent(i: number, now: number): void {
    const s = this.state[i];
    if (s !== IN_FLIGHT) this.inFlight++;
    this.state[i] = IN_FLIGHT;
    this.sentSeq[i] = this.seq++;
    this.sentAt[i] = now;
  }
}

/** Body bytes one fragment can carry in a datagram of `maxDatagramBytes`. */
export function fragmentBytesFor(maxDatagramBytes: number): number {
  return Math.min(0xffff, maxDatagramBytes - HEADER_BYTES - FRAGMENT_EXT_BYTES);
}
