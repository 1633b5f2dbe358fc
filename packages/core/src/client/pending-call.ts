import type { LossTracked } from '../recovery/call-loss-detector.js';
import type { PeerState } from '../flowcontrol/peer-state.js';
import type { RttEstimator } from '../recovery/rtt-estimator.js';
import type { TimedTransfer } from '../recovery/timed-transfer.js';
import type { Timed } from '../timer/timer-heap.js';
import type { PeerAddress } from '../transport/transport.js';
import type { CallOutcome, GroupCollector } from './call-types.js';

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
  /** The payload, preceded by the metadata block when `flags` has HAS_METADATA. */
  readonly payload: Uint8Array;
  /** Flags of every REQUEST frame of the call: HAS_METADATA or 0. */
  readonly flags: number;
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

/**
 * A new call's record, not yet sent: its first timeout is the peer's RTO.
 * Every field is written out in one literal, in one order: a spread of
 * `fields` made V8 build each record through a slow generic copy, and the
 * engine's hottest objects lost their fast shape (a third of a client's CPU
 * at 64 calls in flight, `npm run bench -- --only=add-64 --cpu-prof`).
 */
export function newPendingCall(
  fields: Pick<PendingCall, 'id' | 'session' | 'incarnation' | 'peer' | 'peerState' | 'method' | 'payload' | 'flags' | 'deadlineAt' | 'settle' | 'group'>,
  now: number,
): PendingCall {
  const peerState = fields.peerState;
  return {
    id: fields.id,
    session: fields.session,
    incarnation: fields.incarnation,
    peer: fields.peer,
    peerKey: peerState.key,
    peerState,
    rtt: peerState.rtt,
    queued: false,
    method: fields.method,
    payload: fields.payload,
    flags: fields.flags,
    deadlineAt: fields.deadlineAt,
    settle: fields.settle,
    attempt: 0,
    roundStart: 0,
    unacked: 0,
    lastSentAt: now,
    firstSentAt: Infinity,
    backoffMs: peerState.rtt.rtoMs,
    nextSendAt: now,
    acked: false,
    out: undefined,
    receivingReply: false,
    sampledAttempt: 0,
    lossArmed: false,
    group: fields.group,
    lossSeq: 0,
    laterAnswered: 0,
    lossPrev: undefined,
    lossNext: undefined,
    timerAt: 0,
    heapIndex: -1,
  };
}
