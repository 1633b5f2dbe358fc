import type { AdmissionQueue } from '../flowcontrol/admission-queue.js';
import type { AmplificationGate } from '../flowcontrol/amplification-gate.js';
import type { PeerAddress } from '../transport/transport.js';
import type { DropReason } from '../wire/drop-reason.js';
import { decodeFragmentAck } from '../wire/fragment-ack.js';
import { Flag } from '../wire/frame-header.js';
import type { Frame } from '../wire/frame.js';
import { CallState, type CallEntry } from './call-entry.js';
import type { DedupCache } from './dedup-cache.js';
import type { HandlerWork } from './handler-work.js';
import type { ReplySender } from './reply-sender.js';
import type { MethodTarget } from './server-engine-types.js';
import type { CallCounters } from './server-stats.js';
import type { SourceState } from './source-table.js';

/**
 * The frames a client sends about a call the server already has, other than
 * its REQUEST: CANCEL, FRAGMENT_ACK of the reply, VALIDATE_ECHO. Unlike a
 * request, none of them creates or refreshes the call's session.
 */
export class CallControl<T extends MethodTarget> {
  constructor(
    private readonly cache: DedupCache,
    private readonly admission: AdmissionQueue<CallEntry>,
    private readonly work: HandlerWork<T>,
    private readonly replies: ReplySender,
    private readonly gate: AmplificationGate,
    private readonly counters: CallCounters,
    /** Counts a discarded frame. */
    private readonly drop: (reason: DropReason, from: PeerAddress) => void,
  ) {}

  /** A CANCEL (protocol.md §6.4): the client stopped waiting; a queued call never runs, a running handler is told to stop. */
  onCancel(frame: Frame, source: SourceState, now: number): void {
    const entry = this.lookup(frame, source);
    if (entry === undefined || (entry.state !== CallState.Running && entry.state !== CallState.Queued)) return;
    const wasRunning = entry.state === CallState.Running;
    // Kept (without a reply) until it expires, so that a retransmission still
    // in the network cannot start the handler again.
    this.admission.withdraw(entry);
    this.cache.cancel(entry, now);
    this.counters.cancelled++;
    if (wasRunning) {
      this.work.abort(entry, 'cancelled');
      this.admission.reclaimAt(entry, entry.deadlineAt + this.admission.limits.overrunGraceMs);
    }
  }

  // The entry a frame other than a REQUEST is about; unlike a request, it
  // neither creates nor refreshes the session.
  private lookup(frame: Frame, source: SourceState): CallEntry | undefined {
    return this.cache.find(source.sessions.get(frame.session), source.key, frame.session, frame.id);
  }

  /** A FRAGMENT_ACK of a reply's fragments (protocol.md §5.5, §7.3). */
  onFragmentAck(frame: Frame, from: PeerAddress, source: SourceState, now: number): void {
    // A client acknowledges fragments of our reply (or asks for the missing ones).
    // The body is checked before the call is looked up, so a bad ack counts
    // as truncated or malformed whether or not its call is known (§11).
    const ack = decodeFragmentAck(frame.body);
    if (!ack.ok) return this.drop(ack.error, from);
    const entry = this.lookup(frame, source);
    const transfer = entry?.transfer;
    if (entry === undefined || transfer === undefined) return this.drop('unknown-call', from);
    if (frame.attempt > entry.attempt) entry.attempt = frame.attempt;
    this.replies.onAck(entry, transfer, ack.value, (frame.flags & Flag.ACK_REQUESTED) !== 0, now, frame.attempt);
  }

  /** A VALIDATE_ECHO (protocol.md §8.3): a valid token releases what the amplification limit held back. */
  onValidateEcho(frame: Frame, from: PeerAddress, source: SourceState, now: number): void {
    if (!this.gate.validate(frame.body, source, frame.session, now)) return this.drop('bad-token', from);
    // Send what the limit held back for this call.
    const entry = this.lookup(frame, source);
    if (entry?.state === CallState.Done) this.replies.resend(entry, now, frame);
  }
}
