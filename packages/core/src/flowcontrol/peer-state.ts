import { CallLossDetector, type LossTracked } from '../recovery/call-loss-detector.js';
import type { RetryPolicy } from '../recovery/retry-policy.js';
import { RttEstimator } from '../recovery/rtt-estimator.js';

/** Per-peer flow control of a client (protocol.md §8.1). */
export interface FlowLimits {
  /** Calls in flight to one peer before new ones wait. 1024. */
  maxInFlightPerPeer: number;
  /** Calls waiting for a slot, per peer. 4096. */
  maxQueuedPerPeer: number;
  /** When the window is full: queue the call (until its deadline) or fail it at once. */
  whenFull: 'queue' | 'fail';
}

/** Defaults; see each field. */
export const defaultFlowLimits: Readonly<FlowLimits> = Object.freeze({
  maxInFlightPerPeer: 1024,
  maxQueuedPerPeer: 4096,
  whenFull: 'queue',
});

/**
 * What a client knows about one server address: its RTT estimate, how many
 * calls are in flight to it, the calls waiting for a slot, and until when the
 * server asked us to hold off (pushback), and which calls may be lost.
 */
export class PeerState<C extends LossTracked<C>> {
  readonly rtt: RttEstimator;
  /** Its calls whose latest transmission is unanswered, in send order (protocol.md §7.2). */
  readonly loss = new CallLossDetector<C>();
  inFlight = 0;
  pausedUntil = -Infinity;
  /**
   * The server incarnation last heard from this address (an ACK's body,
   * protocol.md §5.4), 0 if none: each new call carries it (§6.3).
   */
  incarnation = 0;
  /** Refusals (ICMP port unreachable) since the last reply from this peer. */
  refusals = 0;
  /** When the current run of refusals began. */
  refusingSince = -Infinity;
  /** Whether any reply or ACK has come from this peer. */
  answered = false;
  private queue: C[] = [];
  private head = 0;
  /** Calls waiting, not counting entries of calls that ended while queued (skipped when reached). */
  private waiting = 0;

  constructor(
    policy: RetryPolicy,
    /** The peer's `peerKey`. */
    readonly key: string,
  ) {
    this.rtt = new RttEstimator(policy);
  }

  get queued(): number {
    return this.waiting;
  }

  /** Whether a new call may be sent now. */
  canSend(limits: FlowLimits, now: number): boolean {
    return this.inFlight < limits.maxInFlightPerPeer && now >= this.pausedUntil;
  }

  enqueue(call: C): void {
    this.queue.push(call);
    this.waiting++;
  }

  /** Puts a call back at the front (it was pushed back by the server). */
  requeueFront(call: C): void {
    if (this.head > 0) this.queue[--this.head] = call;
    else this.queue.unshift(call);
    this.waiting++;
  }

  /** A queued call ended before it was sent: it no longer counts; its entry is skipped when reached. */
  forget(): void {
    this.waiting--;
  }

  /** The first queued call for which `live` holds, skipping (and dropping) stale ones. */
  peek(live: (call: C) => boolean): C | undefined {
    while (this.head < this.queue.length) {
      const call = this.queue[this.head]!;
      if (live(call)) return call;
      this.head++;
    }
    this.compact();
    return undefined;
  }

  /** Takes the call {@link peek} returned off the queue (it is being sent). */
  shift(): void {
    this.head++;
    this.waiting--;
    this.compact();
  }

  get idle(): boolean {
    return this.inFlight === 0 && this.queued === 0;
  }

  private compact(): void {
    if (this.head === this.queue.length) {
      this.queue = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }
}
