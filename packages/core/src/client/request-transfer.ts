import type { CallRequest } from './call-types.js';
import type { PendingCall } from './pending-call.js';
import { RpcError } from '../errors.js';
import type { FragmentAck } from '../wire/fragment-ack.js';
import { bytesIO } from '../wire/byte-io.js';
import { FrameType, type FrameHeader } from '../wire/frame-header.js';
import { encodeRequestHead } from '../wire/request-body.js';
import { MessageBody } from '../recovery/message-body.js';
import { fragmentBytesFor } from '../recovery/outgoing-transfer.js';
import { TimedTransfer, TransferTimers } from '../recovery/timed-transfer.js';
import type { PeerAddress } from '../transport/transport.js';
import type { PathMtuTable } from '../pmtu/path-mtu-table.js';
import { stalledTooLong } from '../pmtu/black-hole.js';

/**
 * A client's request in fragments (protocol.md §7.3): a {@link TimedTransfer},
 * so a lost tail is recovered by the transfer's own loss and probe timer
 * about an RTT later, not by the call's retransmission timer (RTO floor
 * 30 ms, backing off). Its timer runs while it is its call's transfer (the
 * call is pending, not pushed back) and never past the call's deadline.
 */
export class RequestTransfer extends TimedTransfer {
  /** Retransmission rounds of its call since the last progress (black-hole detection, protocol.md §7.5). */
  stalls = 0;

  constructor(
    readonly call: PendingCall,
    body: MessageBody,
    readonly fragmentBytes: number,
    timers: TransferTimers<RequestTransfer>,
    /**
     * The attempt of the round that started this transfer: a FRAGMENT_ACK
     * echoing an older one answers an earlier transfer of the request, in
     * other fragments, and is ignored (protocol.md §7.5, black holes).
     */
    readonly firstAttempt = 0,
  ) {
    // The peer's estimator (§7.1): the call's RTO and the transfer's PTO read one estimate, and both feed it.
    super(FrameType.REQUEST, body, fragmentBytes, timers, call.rtt);
  }

  liveUntil(): number | undefined {
    // A pushed-back call (queued, protocol.md §8.1) sends nothing until the pause ends.
    return this.call.out === this && !this.call.queued ? this.call.deadlineAt : undefined;
  }
}

/**
 * Everything a client sends of its requests in fragments (protocol.md §7.3):
 * the first window, the retransmission rounds its calls' timers start (§7.2),
 * fragments acks make room for, and the loss and probe timers of the
 * transfers. The client engine keeps the calls: their attempts, backoff,
 * retry budget and deadlines; it never sees a fragment index.
 *
 * **Budget.** Loss-timer resends and probes take no retry-budget token and
 * do not count as attempts: like fragments sent into the room an ack made,
 * they are clocked by the server's acks — the loss timer is armed only by an
 * ack, and at most `MAX_PROBES` (5) probes, one fragment each, follow the
 * last ack that made progress. Against a silent server a request thus costs
 * at most 5 fragments beyond what its budgeted transmissions send.
 */
export class RequestSender {
  /** Their counters (`lossResends`, `probes`) feed the engine's stats. */
  readonly timers = new TransferTimers<RequestTransfer>();
  private readonly fragmentBytes: number;

  constructor(
    private readonly send: (bytes: Uint8Array, to: PeerAddress) => void,
    private readonly maxDatagramBytes: number,
    private readonly maxMessageBytes: number,
    /** Codec id written into every request body (protocol.md §5.7). */
    private readonly codec: number,
    /** Path MTU discovery (protocol.md §7.5): the fragment size toward each server; none = always `maxDatagramBytes`. */
    private readonly paths?: PathMtuTable,
    /** Sends a fragment as its head and a view of its body, unjoined; without it fragments are joined for `send`. */
    private readonly sendv?: (chunks: readonly Uint8Array[], to: PeerAddress) => void,
  ) {
    this.fragmentBytes = fragmentBytesFor(maxDatagramBytes);
  }

  /** Body bytes per fragment toward `call`'s server: from its discovered path size, or the base size. */
  private fragmentBytesOf(call: PendingCall): number {
    return this.paths === undefined ? this.fragmentBytes : fragmentBytesFor(this.paths.peek(call.peerKey));
  }

  /** When {@link onTimer} next needs to run, or undefined. */
  nextTimerAt(): number | undefined {
    return this.timers.nextTimerAt();
  }

  /**
   * The body of a request that does not fit in one datagram (§3.3), or why
   * it cannot be sent: a group request is never fragmented (§6.6).
   */
  encode(req: CallRequest, now: number, span: number, incarnation: number, group: boolean): MessageBody | RpcError {
    if (group) return new RpcError('RESOURCE_EXHAUSTED', `a group request must fit in one ${this.maxDatagramBytes}-byte datagram`);
    const head = encodeRequestHead(Math.ceil(req.deadlineAt - now), req.method, span, incarnation, this.codec);
    const body = new MessageBody(head, req.payload);
    if (body.length > this.maxMessageBytes) {
      return new RpcError('RESOURCE_EXHAUSTED', `request is ${body.length} bytes, above the ${this.maxMessageBytes}-byte message limit`);
    }
    return body;
  }

  /** Gives `call` a fresh transfer of `body` (at its start, or again after a pushback); nothing is sent yet. */
  start(call: PendingCall, body: MessageBody): void {
    call.out?.stop();
    call.out = new RequestTransfer(call, body, this.fragmentBytesOf(call), this.timers, call.attempt);
  }

  /** One transmission of `call` (§7.2), the call's timer having fired or the call just started. */
  transmit(call: PendingCall, out: TimedTransfer, header: FrameHeader, now: number): void {
    const first = call.attempt === call.roundStart + 1;
    if (first) {
      // A round's first transmission, maybe after waiting in the queue or out
      // a pushback, and before any fragment is framed: the remaining deadline
      // (§5.1, body offset 0) counts from now, or the server would keep the
      // call past the client's deadline. The known incarnation (offset 8) may
      // have been learnt from the refusal that ended the previous round.
      bytesIO.writeU32(out.body.head, 0, Math.max(1, Math.ceil(call.deadlineAt - now)));
      bytesIO.writeU32(out.body.head, 8, call.incarnation);
    }
    if (out.complete) {
      // The server holds the whole request; one fragment, flagged, asks for the reply.
      this.send(out.frame(header, 0, true), call.peer);
    } else if (!first && this.noteStall(call, out, now) && this.restartsSmaller(call, out, header.attempt)) {
      // A black hole swallowed this transfer's fragments (§7.5): the request
      // starts over in fragments of the path's new size, in this round.
      call.out = new RequestTransfer(call, out.body, this.fragmentBytesOf(call), this.timers, header.attempt);
      this.sendFragments(call, header, call.out.nextToSend(now));
    } else {
      // A retransmission round: only fragments older than an RTT count as lost.
      this.sendFragments(call, header, first ? out.nextToSend(now) : out.resend(now, 1));
    }
  }

  /**
   * The server acknowledged fragments of `call`'s request: sends what the ack
   * made room for, and says whether the call should reset its backoff — the
   * ack made progress (§7.2), or the request is complete.
   */
  onAck(call: PendingCall, out: TimedTransfer, ack: FragmentAck, attempt: number, now: number): boolean {
    // An ack of an earlier transfer of this request, in fragments of another size.
    if (out instanceof RequestTransfer && attempt < out.firstAttempt) return false;
    const progressed = out.onAck(ack, now);
    if (progressed && out instanceof RequestTransfer) out.stalls = 0;
    // Delivered, not "in progress": the call keeps its normal backoff, so a
    // lost reply is asked for again after one RTO, not the slow probe interval.
    if (out.complete) return true;
    this.sendFragments(call, this.header(call), out.nextToSend(now));
    return progressed;
  }

  /** Fires the loss and probe timers of request transfers due at `now`. */
  onTimer(now: number): void {
    for (let t = this.timers.popDue(now); t !== undefined; t = this.timers.popDue(now)) {
      this.sendFragments(t.call, this.header(t.call), t.onTimer(now));
      // Probes in a row without progress, in datagrams above the base size:
      // a black hole (§7.5). Later transfers use the base size at once; this
      // one starts over at its call's next round.
      if (stalledTooLong(t, now)) this.blackHole(t, now);
    }
  }

  // A transfer above the base size stalled: a black hole, unless its size is
  // already above the path's (a black hole reported before; it will restart).
  private blackHole(t: RequestTransfer, now: number): void {
    if (t.fragmentBytes > this.fragmentBytes && t.fragmentBytes <= this.fragmentBytesOf(t.call)) this.paths?.blackHole(t.call.peerKey, now);
  }

  // A retransmission round of a call whose transfer made no progress since
  // the last one; returns true (so it can head a condition).
  private noteStall(call: PendingCall, out: TimedTransfer, now: number): true {
    if (out instanceof RequestTransfer) {
      out.stalls++;
      if (stalledTooLong(out, now)) this.blackHole(out, now);
    }
    return true;
  }

  // Whether `out` was cut into fragments larger than the path now carries, and
  // may start over in smaller ones: its acks can be told from the new
  // transfer's by their attempt, which must therefore not have saturated.
  private restartsSmaller(call: PendingCall, out: TimedTransfer, attempt: number): boolean {
    return out instanceof RequestTransfer && out.fragmentBytes > this.fragmentBytesOf(call) && attempt > out.firstAttempt && attempt < 255;
  }

  // Fragments carry the attempt of the call's latest transmission (§3.2).
  private header(call: PendingCall): FrameHeader {
    return { type: FrameType.REQUEST, flags: call.flags, attempt: call.attempt - 1, session: call.session, id: call.id };
  }

  private sendFragments(call: PendingCall, header: FrameHeader, indexes: number[]): void {
    const out = call.out!;
    const sendv = this.sendv;
    for (let i = 0; i < indexes.length; i++) {
      const last = i === indexes.length - 1;
      if (sendv === undefined) this.send(out.frame(header, indexes[i]!, last), call.peer);
      else sendv(out.frameChunks(header, indexes[i]!, last), call.peer);
    }
  }
}
