import type { AmplificationGate } from '../flowcontrol/amplification-gate.js';
import { overheadOf, type CallEntry, type EntrySource } from './call-entry.js';
import type { DedupCache } from './dedup-cache.js';
import { codeToNumber, type ErrorCode } from '../errors.js';
import { encodeFragmentAck, type FragmentAck } from '../wire/fragment-ack.js';
import { Flag, FrameType, HEADER_BYTES, setAttempt, type FrameHeader } from '../wire/frame-header.js';
import { encodeFrame, type Frame } from '../wire/frame.js';
import { encodeErrorBody } from '../wire/error-body.js';
import { withMetadataBlock } from '../wire/metadata.js';
import { fragmentBytesFor } from '../recovery/outgoing-transfer.js';
import { ReplyTimers, ReplyTransfer } from './reply-transfer.js';
import type { HandlerOutcome } from './server-engine-types.js';
import type { TimedTransfer } from '../recovery/timed-transfer.js';
import type { PeerAddress } from '../transport/transport.js';
import type { ReplyPaths } from './reply-paths.js';
import { stalledTooLong } from '../pmtu/black-hole.js';
import { encodePmtuProbeReply } from '../wire/pmtu-probe.js';

/** A reply fragment sent more recently than this is not resent on a client's request. */
const RESEND_MIN_AGE_MS = 10;

const EMPTY = new Uint8Array(0);

/**
 * Everything a server sends back about a call: a handler's reply, in one
 * datagram or in fragments with their loss and probe timers (protocol.md
 * §7.3); the cached reply again for a retransmission; and the frames that
 * answer a request without running it (ACK, FRAGMENT_ACK, an ERROR refusal).
 * Each datagram leaves through the {@link AmplificationGate}. An answered call
 * goes back to the {@link DedupCache} as finished, holding its reply for as
 * long as the client may retransmit (§6).
 */
export class ReplySender {
  /** RESPONSE replies sent (counted once per call, not per copy). */
  responses = 0;
  /** ERROR replies and refusals sent. */
  errors = 0;
  /** Loss and probe timers of replies in fragments (protocol.md §7.3). */
  /** Their counters (`lossResends`, `probes`) feed the engine's stats. */
  readonly timers = new ReplyTimers();
  private readonly cache: DedupCache;
  private readonly gate: AmplificationGate;
  private readonly maxDatagramBytes: number;
  /** A reply larger than this is replaced by an error (the client could not reassemble it either). */
  private readonly maxMessageBytes: number;
  private readonly fragmentBytes: number;

  constructor(
    cache: DedupCache,
    gate: AmplificationGate,
    maxDatagramBytes: number,
    maxMessageBytes: number,
    /** Each client's path: its RTT estimator (§7.3) and size (§7.5), for its reply fragments. */
    private readonly paths: ReplyPaths,
  ) {
    this.cache = cache;
    this.gate = gate;
    this.maxDatagramBytes = maxDatagramBytes;
    this.maxMessageBytes = maxMessageBytes;
    this.fragmentBytes = fragmentBytesFor(maxDatagramBytes);
  }

  /** When {@link onTimer} next needs to run, or undefined. */
  nextTimerAt(): number | undefined {
    return this.timers.nextTimerAt();
  }

  /** Fires the loss and probe timers of fragmented replies due at `now`. */
  onTimer(now: number): void {
    for (let t = this.timers.popDue(now); t !== undefined; t = this.timers.popDue(now)) {
      // No probe the anti-amplification limit would block (RFC 9002 §6.2.2.1):
      // the client's next datagram re-arms the transfer.
      if (this.gate.mayProbe(t.entry.source, t.entry.session, now)) this.sendFragments(t.entry, t.onTimer(now), now);
      // Probes in a row without progress, in datagrams above the base size:
      // a black hole (§7.5). The reply starts over in smaller fragments at the
      // client's next transmission.
      if (stalledTooLong(t, now)) this.blackHole(t, now);
    }
  }

  /** Body bytes per reply fragment to `pk`. */
  private fragmentBytesTo(pk: string, now: number): number {
    return fragmentBytesFor(this.paths.bytesFor(pk, now));
  }

  // Whether the entry's reply transfer was cut into fragments larger than the
  // path now carries and may start over in smaller ones, for a client
  // transmission with `attempt`: acks of the old transfer echo older attempts.
  private restartsSmaller(entry: CallEntry, transfer: TimedTransfer, attempt: number, now: number): transfer is ReplyTransfer {
    return (
      transfer instanceof ReplyTransfer &&
      transfer.fragmentBytes > this.fragmentBytesTo(entry.source.key, now) &&
      attempt > transfer.firstAttempt &&
      attempt < 255
    );
  }

  // A client's transmission asked for the reply again: no progress since the last one.
  private noteStall(entry: CallEntry, transfer: ReplyTransfer, now: number): void {
    transfer.stalls++;
    if (stalledTooLong(transfer, now)) this.blackHole(transfer, now);
  }

  // A transfer above the base size stalled: a black hole, unless its size is
  // already above the path's (a black hole reported before; it will restart).
  private blackHole(t: ReplyTransfer, now: number): void {
    const pk = t.entry.source.key;
    if (t.fragmentBytes > this.fragmentBytes && t.fragmentBytes <= this.fragmentBytesTo(pk, now)) this.paths.blackHole(pk, now);
  }

  // Starts the entry's reply over in fragments of the path's current size, on
  // the same estimator (the path's size changed, not its RTT).
  private restart(entry: CallEntry, old: ReplyTransfer, attempt: number, now: number): void {
    old.stop();
    const fragmentBytes = this.fragmentBytesTo(entry.source.key, now);
    entry.transfer = new ReplyTransfer(entry, old.out.type, old.body, fragmentBytes, this.timers, old.rtt, attempt, old.flags);
    this.sendFragments(entry, entry.transfer.nextToSend(now), now);
  }

  /**
   * Answers a running call with `body`, a RESPONSE payload or an encoded
   * ERROR body, preceded by the `metadata` block if given (protocol.md §5.8),
   * and marks it finished. The cached reply keeps the block, so a duplicate
   * gets the same metadata, and the entry is charged for it.
   */
  reply(entry: CallEntry, type: FrameType, body: Uint8Array, now: number, metadata?: Uint8Array): void {
    if (entry.noReply) return this.complete(entry, undefined, now);
    let flags = 0;
    if (metadata !== undefined) {
      body = withMetadataBlock(metadata, body);
      flags = Flag.HAS_METADATA;
    }
    if (body.length > this.maxMessageBytes) {
      type = FrameType.ERROR;
      flags = 0;
      const message = `reply is ${body.length} bytes, above the server's ${this.maxMessageBytes}-byte message limit`;
      body = replyBody({ ok: false, code: 'RESOURCE_EXHAUSTED', message });
    }
    // Counted as what the client gets: a result too large to send is an error.
    if (type === FrameType.RESPONSE) this.responses++;
    else this.errors++;
    const header: FrameHeader = { type, flags, attempt: entry.attempt, session: entry.session, id: entry.id };
    if (HEADER_BYTES + body.length <= this.maxDatagramBytes) {
      const reply = encodeFrame(header, body);
      const sent = this.gate.transmit(reply, entry.peer, entry.source, now, header);
      return this.complete(entry, reply, now, sent);
    }
    const fragmentBytes = this.fragmentBytesTo(entry.source.key, now);
    entry.transfer = new ReplyTransfer(entry, type, body, fragmentBytes, this.timers, this.paths.rttTo(entry.source, now), entry.attempt, flags);
    this.sendFragments(entry, entry.transfer.nextToSend(now), now);
    this.complete(entry, undefined, now);
  }

  /** Answers a running call with a handler's error (a notification only finishes). */
  replyError(entry: CallEntry, outcome: HandlerOutcome & { ok: false }, now: number): void {
    if (entry.noReply) return this.complete(entry, undefined, now);
    this.reply(entry, FrameType.ERROR, replyBody(outcome), now, outcome.metadata);
  }

  /** Sends a finished call's reply again, for `trigger` (a retransmitted request or a validation echo). */
  resend(entry: CallEntry, now: number, trigger: Frame): void {
    if (entry.transfer instanceof ReplyTransfer) this.noteStall(entry, entry.transfer, now);
    if (entry.transfer !== undefined && this.restartsSmaller(entry, entry.transfer, trigger.attempt, now)) {
      this.restart(entry, entry.transfer, trigger.attempt, now);
    } else if (entry.transfer !== undefined) {
      // Only the fragments of the reply not known to have arrived.
      // Only fragments not sent within the last RTT or so: a retransmitted
      // request and a validation echo arriving together must not both resend everything.
      this.sendFragments(entry, entry.transfer.resend(now, RESEND_MIN_AGE_MS), now);
    } else if (entry.reply !== undefined) {
      const reply = entry.reply.slice();
      setAttempt(reply, trigger.attempt);
      this.gate.transmit(reply, entry.peer, entry.source, now, trigger);
    }
  }

  /**
   * Applies a client's FRAGMENT_ACK to the entry's fragmented reply and sends
   * what it makes room for; `stalled` (ACK_REQUESTED) asks for the missing ones.
   */
  onAck(entry: CallEntry, transfer: TimedTransfer, ack: FragmentAck, stalled: boolean, now: number, attempt = 0): void {
    // A STALLED client that holds nothing of a black-holed reply: start over
    // smaller (its ack describes the old fragments and is not applied).
    if (stalled && transfer instanceof ReplyTransfer) this.noteStall(entry, transfer, now);
    if (stalled && this.restartsSmaller(entry, transfer, attempt, now)) return this.restart(entry, transfer, attempt, now);
    // An ack of an earlier transfer of this reply, in fragments of another size.
    if (transfer instanceof ReplyTransfer && attempt < transfer.firstAttempt) return;
    if (transfer.onAck(ack, now) && transfer instanceof ReplyTransfer) transfer.stalls = 0;
    if (transfer.complete) {
      // The client has the whole reply: keep the entry (it still blocks
      // re-execution) but free the reply's bytes.
      entry.transfer = undefined;
      this.cache.setBytes(entry, overheadOf(entry));
      return;
    }
    this.sendFragments(entry, stalled ? transfer.resend(now, 1) : transfer.nextToSend(now), now);
  }

  /** Answers `frame` with a frame of `type` (ACK for a call in progress, PONG for a PING), empty unless `body` is given. */
  sendEmpty(frame: Frame, type: FrameType, to: PeerAddress, source: EntrySource, now: number, body: Uint8Array = EMPTY): void {
    this.gate.transmit(encodeFrame(answerTo(frame, type), body), to, source, now, frame);
  }

  /**
   * Answers a path MTU probe (protocol.md §7.5): a PONG with PMTU_PROBE,
   * padded to the probe's own size, so it confirms the path both ways and is
   * never larger than the PING.
   */
  sendProbeReply(frame: Frame, probeBytes: number, to: PeerAddress, source: EntrySource, now: number): void {
    this.gate.transmit(encodePmtuProbeReply(frame, probeBytes), to, source, now, frame);
  }

  /** Acknowledges the fragments received so far of a request in fragments. */
  sendRequestAck(frame: Frame, to: PeerAddress, source: EntrySource, now: number, ack: FragmentAck): void {
    const body = encodeFragmentAck(ack, this.maxDatagramBytes - HEADER_BYTES);
    this.gate.transmit(encodeFrame(answerTo(frame, FrameType.FRAGMENT_ACK), body), to, source, now, frame);
  }

  /** Refuses a request without running it (nothing is remembered of it). */
  sendError(frame: Frame, to: PeerAddress, source: EntrySource, now: number, code: ErrorCode, message: string, retryAfterMs: number, flags = 0, details?: Uint8Array): void {
    this.errors++;
    const body = encodeErrorBody({ code: codeToNumber(code), retryAfterMs, message, ...(details === undefined ? {} : { details }) });
    this.gate.transmit(encodeFrame(answerTo(frame, FrameType.ERROR, flags), body), to, source, now, frame);
  }

  private complete(entry: CallEntry, reply: Uint8Array | undefined, now: number, sent = false): void {
    entry.dropPayload();
    if (entry.idempotent && entry.transfer === undefined && sent) {
      // Idempotent methods may run again, so their replies are not cached,
      // unless the anti-amplification limit held the reply back: then it waits
      // for the address to validate (protocol.md §8.2), as any reply does.
      return this.cache.forget(entry);
    }
    entry.reply = reply;
    // The request payload is no longer held; the reply is, until it expires.
    this.cache.setBytes(entry, overheadOf(entry) + (reply?.length ?? 0) + (entry.transfer?.body.length ?? 0));
    this.cache.finish(entry, now);
  }

  private sendFragments(entry: CallEntry, indexes: number[], now: number): void {
    const header: FrameHeader = { type: FrameType.RESPONSE, flags: 0, attempt: entry.attempt, session: entry.session, id: entry.id };
    for (let i = 0; i < indexes.length; i++) {
      const last = i === indexes.length - 1;
      this.gate.transmit(this.gate.sendsChunks ? entry.transfer!.frameChunks(header, indexes[i]!, last) : entry.transfer!.frame(header, indexes[i]!, last), entry.peer, entry.source, now, header);
    }
  }
}

function replyBody(outcome: HandlerOutcome): Uint8Array {
  if (outcome.ok) return outcome.payload;
  return encodeErrorBody({
    code: codeToNumber(outcome.code),
    retryAfterMs: outcome.retryAfterMs ?? 0,
    message: outcome.message,
    ...(outcome.details === undefined ? {} : { details: outcome.details }),
  });
}

// The header of a frame answering `frame`: same call, same attempt.
function answerTo(frame: FrameHeader, type: FrameType, flags = 0): FrameHeader {
  return { type, flags, attempt: frame.attempt, session: frame.session, id: frame.id };
}
