import type { PathMtuOptions } from '../pmtu/path-mtu-table.js';
import type { LossTracked } from '../recovery/call-loss-detector.js';
import type { DropCounts, DropReason } from '../wire/drop-reason.js';
import type { RpcError } from '../errors.js';
import type { PeerState, FlowLimits } from '../flowcontrol/peer-state.js';
import type { RetryBudgetPolicy, RetryPolicy, } from '../recovery/retry-policy.js';
import type { RetryBudgetState } from '../flowcontrol/retry-budget.js';
import type { RttEstimator } from '../recovery/rtt-estimator.js';
import type { TimedTransfer } from '../recovery/timed-transfer.js';
import type { Timed } from '../timer/timer-heap.js';
import type { PeerAddress } from '../transport/transport.js';

// The shapes the client engine takes and gives: its options, hooks, requests,
// outcomes and counters, and the record it keeps per call.

/** How a call ended, as the engine sees it (payloads are still encoded). */
export type CallOutcome =
  | {
      /** A result came. */
      ok: true;
      /** The encoded result. */
      payload: Uint8Array;
    }
  | {
      /** The call failed. */
      ok: false;
      /** Why; from the server when `error.remote`. */
      error: RpcError;
      /** The error's encoded details, if the server sent any. */
      detailsBytes?: Uint8Array;
    };

/**
 * Collects the replies of a group call (a request sent to a multicast or
 * broadcast address): one per responding server, at most `maxReplies`.
 */
export interface GroupCollector {
  readonly maxReplies: number;
  onReply(from: PeerAddress, outcome: CallOutcome): void;
}

/** What the client engine reports as it works; all optional. */
export interface ClientEngineHooks {
  /** A request is being retransmitted. */
  onRetry?(info: { id: number; peer: PeerAddress; attempt: number; rtoMs: number }): void;
  /** A call ended without a reply. */
  onTimeout?(info: { id: number; peer: PeerAddress; attempts: number }): void;
  /** A received datagram was discarded. */
  onDrop?(reason: DropReason, from: PeerAddress): void;
  /** The server refused a call before running it (REJECTED with a retry-after hint, §8.1): it waits `retryAfterMs`, then is sent again. */
  onPushback?(info: { id: number; peer: PeerAddress; attempt: number; retryAfterMs: number }): void;
}

/** Configuration of a {@link ClientEngine}. */
export interface ClientEngineOptions {
  /** Sends one datagram; must not throw. */
  send(bytes: Uint8Array, to: PeerAddress): void;
  /** Uniform [0, 1) source for ids, session and jitter; inject a seeded one in tests. */
  random?: () => number;
  /** Overrides of `defaultRetryPolicy`. */
  retry?: Partial<RetryPolicy>;
  /** Overrides of `defaultRetryBudget`. */
  retryBudget?: Partial<RetryBudgetPolicy>;
  /** Largest datagram to send (default 1200); with `pmtu`, the base size discovery starts from. */
  maxDatagramBytes?: number;
  /**
   * Path MTU discovery (protocol.md §7.5): request fragments to each server
   * grow to the largest datagram size its path is confirmed to carry, and
   * the server is told that size for its reply fragments. Off when absent.
   */
  pmtu?: PathMtuOptions;
  /** Largest request or reply, fragmented above `maxDatagramBytes` (16 MiB). */
  maxMessageBytes?: number;
  /** Observers of retries, timeouts and drops. */
  hooks?: ClientEngineHooks;
  /** Most peers whose RTT state is remembered (least recently used idle ones go first). */
  maxPeers?: number;
  /** Per-peer in-flight window and queue. */
  flow?: Partial<FlowLimits>;
  /**
   * Codec id put in every REQUEST (protocol.md §5.7): the id of the codec
   * that encoded the payloads. Default 0, which no server accepts: the
   * `@udprpc/client` package always sets its codec's id.
   */
  codec?: number;
}

/** One outgoing request. */
export interface CallRequest {
  /** The server to call. */
  peer: PeerAddress;
  /** UTF-8 wire name, encoded once per method by the caller. */
  method: Uint8Array;
  /** The encoded argument. */
  payload: Uint8Array;
  /** Absolute deadline on the engine's clock. */
  deadlineAt: number;
}

/** Round-trip estimates towards one peer. */
export interface PeerRtt {
  /** Smoothed RTT, undefined until measured. */
  srttMs: number | undefined;
  /** Current retransmission timeout. */
  rtoMs: number;
}

/** Counters of a client engine. */
export interface ClientEngineStats {
  /** Calls started. */
  calls: number;
  /** Calls answered with a result. */
  responses: number;
  /** Calls answered with an error. */
  errors: number;
  /** Calls that ended without a reply. */
  timeouts: number;
  /** Calls cancelled by their caller or by `close`. */
  cancelled: number;
  /** Request retransmissions. */
  retransmits: number;
  /**
   * Retransmissions of calls declared lost because calls sent after them
   * were answered (protocol.md §7.2, early loss detection), before their
   * RTO; included in `retransmits`.
   */
  lossRetransmits: number;
  /** Notifications sent. */
  notifications: number;
  /** Calls waiting for a slot in a peer's window (or for its pushback to end). */
  queued: number;
  /** Calls the server refused before running, sent again after its retry-after hint. */
  pushbacks: number;
  /** Address-validation challenges answered. */
  validations: number;
  /** Times the client started a new session because a server said its session was stale (protocol.md §6.3). */
  sessionsRenewed: number;
  /** Request fragments resent by a request transfer's loss timer (protocol.md §7.3); no budget token. */
  requestLossResends: number;
  /** Request fragments sent by a request transfer's probe timer (protocol.md §7.3); no budget token. */
  requestProbes: number;
  /** Path MTU probes sent, reports included (protocol.md §7.5). */
  pmtuProbes: number;
  /** Path MTU probes not answered in time: no loss signal for calls. */
  pmtuProbesLost: number;
  /** Times a black hole sent a server's path size back to `maxDatagramBytes` (§7.5). */
  pmtuBlackHoles: number;
  /** Calls awaiting their outcome now. */
  inFlight: number;
  /**
   * The per-server window counters (§8.1), summed over servers: calls
   * holding a window slot and calls waiting in a queue. They equal
   * `inFlight` and `queued` for single-server calls, and are 0 once every call ended.
   */
  window: {
    /** Calls holding a slot in a server's window, summed over servers. */
    inFlight: number;
    /** Calls waiting in a server's queue for a window slot (or for its pushback to end), summed over servers. */
    queued: number;
  };
  /** Received datagrams discarded, by reason. */
  drops: DropCounts;
  /** The retry budget now. */
  retryBudget: RetryBudgetState;
}

/** What the engine keeps per call (internal). */
export interface PendingCall extends Timed, LossTracked<PendingCall> {
  readonly id: number;
  /** The session the call was started in; every frame of the call carries it. */
  readonly session: number;
  /**
   * The server incarnation the client knew when the call started; every
   * transmission carries it, so the server can tell whether an earlier copy
   * may have reached an earlier incarnation (protocol.md §6.3).
   */
  incarnation: number;
  readonly peer: PeerAddress;
  readonly peerKey: string;
  readonly peerState: PeerState<PendingCall>;
  readonly rtt: RttEstimator;
  /** Waiting in the peer's queue, not yet sent. */
  queued: boolean;
  readonly method: Uint8Array;
  readonly payload: Uint8Array;
  readonly deadlineAt: number;
  /** Called once with the outcome and the call's transmissions over all rounds (its `attempt`). */
  readonly settle: (outcome: CallOutcome, transmissions: number) => void;
  /** Transmissions so far (0 before the first), over all rounds. */
  attempt: number;
  /** Transmissions before the current round: a pushback (REJECTED, §8.1) starts a new one. */
  roundStart: number;
  /** Transmissions not yet acknowledged by an ACK. */
  unacked: number;
  lastSentAt: number;
  /** When the call was first transmitted (Infinity before): an earlier copy may have been delivered. */
  firstSentAt: number;
  /** Delay before the next retransmission, before jitter. */
  backoffMs: number;
  nextSendAt: number;
  acked: boolean;
  /** The request's fragments, with their loss/probe timer, when it does not fit in one datagram: a request-transfer.ts `RequestTransfer`. */
  out: TimedTransfer | undefined;
  /** Set once a fragment of the reply has arrived. */
  receivingReply: boolean;
  /** The transmission whose RTT was last sampled. */
  sampledAttempt: number;
  /** The call's timer is armed early, at its loss time threshold (protocol.md §7.2). */
  lossArmed: boolean;
  /** Set for group calls: who answered, and where answers go. */
  group: { collector: GroupCollector; seen: Set<string> } | undefined;
}

