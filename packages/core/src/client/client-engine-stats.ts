import type { DropCounts } from '../wire/drop-reason.js';
import type { RetryBudgetState } from '../flowcontrol/retry-budget.js';

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
  /** GOAWAY frames heeded: a server this client calls said it is draining (protocol.md §5.9). */
  goAways: number;
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

/** The engine's own counters: the plain-number part of {@link ClientEngineStats} (internal). */
export interface ClientCounters {
  calls: number;
  responses: number;
  errors: number;
  timeouts: number;
  cancelled: number;
  retransmits: number;
  lossRetransmits: number;
  notifications: number;
  pushbacks: number;
  validations: number;
  sessionsRenewed: number;
  goAways: number;
}

/** All counters at zero. */
export function newClientCounters(): ClientCounters {
  return {
    calls: 0,
    responses: 0,
    errors: 0,
    timeouts: 0,
    cancelled: 0,
    retransmits: 0,
    lossRetransmits: 0,
    notifications: 0,
    pushbacks: 0,
    validations: 0,
    sessionsRenewed: 0,
    goAways: 0,
  };
}
