import type { RttEstimator } from './rtt-estimator.js';

// Loss detection for calls, after RFC 9002 §6.1 (protocol.md §7.2, "Early
// loss detection"): a call whose latest transmission is unanswered is lost
// once calls sent after it to the same peer have been answered, and either
// LOSS_PACKET_THRESHOLD of them have, or lossDelayMs has passed since that
// transmission. Replies to later calls prove the path works, so waiting for
// the RTO (30 ms at least) while the rest of the window completes only
// stalls the lost call.

/** Answered later-sent calls that make an unanswered call lost (RFC 9002 kPacketThreshold). */
export const LOSS_PACKET_THRESHOLD = 3;
/** Multiple of max(smoothed, latest RTT) after which it is lost (RFC 9002 kTimeThreshold). */
export const LOSS_TIME_THRESHOLD = 9 / 8;
/** Floor of the time threshold, in ms (RFC 9002 kGranularity). */
export const LOSS_GRANULARITY_MS = 1;

/**
 * The time threshold for a peer: how long after its latest transmission an
 * unanswered call, with a later-sent call answered, is declared lost.
 * Undefined before any RTT sample (then only the packet threshold applies).
 */
export function lossDelayMs(rtt: RttEstimator): number | undefined {
  if (rtt.srttMs === undefined) return undefined;
  return Math.max(LOSS_TIME_THRESHOLD * Math.max(rtt.srttMs, rtt.latestMs ?? rtt.srttMs), LOSS_GRANULARITY_MS);
}

/** The fields the detector keeps in each call: an intrusive list, so tracking allocates nothing. */
export interface LossTracked<C> {
  /** Place of the call's latest transmission in its peer's send order; 0 while not tracked. */
  lossSeq: number;
  /** Calls sent after that transmission whose answer has arrived since. */
  laterAnswered: number;
  lossPrev: C | undefined;
  lossNext: C | undefined;
}

/**
 * One peer's calls whose latest transmission is still unanswered, in the
 * order those transmissions were sent. Only the calls the engine can declare
 * lost are tracked: unfragmented, not group calls, not ACKed.
 */
export class CallLossDetector<C extends LossTracked<C>> {
  private head: C | undefined;
  private tail: C | undefined;
  private seq = 0;

  /** `call` was (re)transmitted: it goes to the end of the send order, with no later answer yet. */
  sent(call: C): void {
    this.remove(call);
    call.lossSeq = ++this.seq;
    call.laterAnswered = 0;
    call.lossPrev = this.tail;
    call.lossNext = undefined;
    if (this.tail === undefined) this.head = call;
    else this.tail.lossNext = call;
    this.tail = call;
  }

  /** Stops tracking `call` (answered, queued again, ended or declared lost). Returns whether it was tracked. */
  remove(call: C): boolean {
    if (call.lossSeq === 0) return false;
    if (call.lossPrev === undefined) this.head = call.lossNext;
    else call.lossPrev.lossNext = call.lossNext;
    if (call.lossNext === undefined) this.tail = call.lossPrev;
    else call.lossNext.lossPrev = call.lossPrev;
    call.lossSeq = 0;
    call.lossPrev = call.lossNext = undefined;
    return true;
  }

  /**
   * An answer (reply, ACK, refusal) for `call` arrived. It stops being
   * tracked; if the answer is to its latest transmission (`ofLatest`, from
   * the echoed attempt), every call still tracked that was sent before that
   * transmission has one more later-sent call answered, and is appended to
   * `suspects`, where the engine checks both thresholds. Calls that reach
   * the packet threshold are no longer tracked when they come out. An answer
   * counts once: a reply after an ACK of the same transmission finds the
   * call untracked and is no evidence again.
   */
  answered(call: C, ofLatest: boolean, suspects: C[]): void {
    const seq = call.lossSeq;
    if (!this.remove(call) || !ofLatest) return;
    // Answers mostly come in send order, so the calls before this one are
    // few: only those still unanswered, and each is visited at most
    // LOSS_PACKET_THRESHOLD times per transmission.
    for (let c = this.head; c !== undefined && c.lossSeq < seq; ) {
      const next = c.lossNext;
      if (++c.laterAnswered >= LOSS_PACKET_THRESHOLD) this.remove(c);
      suspects.push(c);
      c = next;
    }
  }

  /** Whether nothing is tracked (for tests and invariants). */
  get empty(): boolean {
    return this.head === undefined;
  }
}
