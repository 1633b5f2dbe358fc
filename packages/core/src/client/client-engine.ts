import { LOSS_PACKET_THRESHOLD, lossDelayMs } from '../recovery/call-loss-detector.js';
import { countDrop, type DropCounts, type DropReason } from '../wire/drop-reason.js';
import { codeFromNumber, RpcError } from '../errors.js';
import { decodeFragmentAck, type FragmentAck } from '../wire/fragment-ack.js';
import {
  decodeErrorBody,
  parseFrame,
  encodeFrame,
  encodeRequestFrame,
  bytesIO,
  Flag,
  FrameType,
  HEADER_BYTES,
  NO_SPAN,
  REQUEST_FIXED_BYTES,
  splitBatch,
  type Frame,
  type FrameHeader,
} from '../wire/frame.js';
import { ACK_REQUESTED } from '../recovery/outgoing-transfer.js';
import { defaultReassemblyLimits } from '../recovery/reassembly.js';
import { ReplyReceiver } from './reply-receiver.js';
import { MessageIds, randomSession } from '../wire/message-ids.js';
import { RequestSender } from './request-transfer.js';
import { PathMtuTable } from '../pmtu/path-mtu-table.js';
import { parsePmtuProbeReply } from '../wire/pmtu-probe.js';
import { RetryBudget } from '../flowcontrol/retry-budget.js';
import { defaultRetryBudget, defaultRetryPolicy, defaultSizes, type RetryPolicy } from '../recovery/retry-policy.js';
import { defaultFlowLimits, type FlowLimits, type PeerState } from '../flowcontrol/peer-state.js';
import { PeerTable } from './peer-table.js';
import { TimerHeap } from '../timer/timer-heap.js';
import { formatPeer, peerKey, type PeerAddress } from '../transport/transport.js';
import type {
  CallOutcome,
  CallRequest,
  ClientEngineHooks,
  ClientEngineOptions,
  ClientEngineStats,
  GroupCollector,
  PeerRtt,
  PendingCall,
} from './client-engine-types.js';

export type { CallOutcome, CallRequest, ClientEngineHooks, ClientEngineOptions, ClientEngineStats, GroupCollector, PeerRtt } from './client-engine-types.js';

const EMPTY = new Uint8Array(0);

/**
 * The client half of the protocol, free of I/O: requests and datagrams in,
 * datagrams and one timer deadline out. It owns message ids, retransmission
 * with per-peer adaptive RTO and backoff, the retry budget and deadlines.
 */
export class ClientEngine {
  /** The session new calls go in; a server that says it is stale makes the client draw another (protocol.md §6.3). */
  private currentSession: number;
  private readonly pending = new Map<number, PendingCall>();
  private readonly timers = new TimerHeap<PendingCall>();
  private readonly ids: MessageIds;
  private readonly peers: PeerTable<PendingCall>;
  private readonly flow: FlowLimits;
  private readonly policy: RetryPolicy;
  private readonly budget: RetryBudget;
  private readonly random: () => number;
  private readonly send: (bytes: Uint8Array, to: PeerAddress) => void;
  private readonly hooks: ClientEngineHooks;
  /** Largest datagram this engine sends. */
  readonly maxDatagramBytes: number;
  /** Largest request or reply it accepts, after reassembly. */
  readonly maxMessageBytes: number;
  /** Codec id of every request's payload (protocol.md §5.7). */
  readonly codec: number;
  /** Replies in fragments: their reassembly and acknowledgements. */
  private readonly replies: ReplyReceiver;
  /** Requests in fragments: their windows, retransmission rounds and loss/probe timers. */
  private readonly requests: RequestSender;
  /** Path MTU discovery toward each server (protocol.md §7.5), when on. */
  private readonly pmtu: PathMtuTable | undefined;
  private readonly counters = {
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
  };
  private readonly drops: DropCounts = {};
  private lastNow = 0;
  /** Oldest id that may still be in flight; every id before it is finished. */
  private oldestId: number;
  /** Set by cancelAll: queued calls are failed, not started. */
  private closing = false;
  /** Calls an answer made suspect of loss (reused: the reply path allocates nothing). */
  private readonly suspects: PendingCall[] = [];

  constructor(options: ClientEngineOptions) {
    this.random = options.random ?? Math.random;
    this.currentSession = randomSession(this.random);
    this.ids = new MessageIds(this.random);
    this.oldestId = this.ids.peek();
    this.policy = { ...defaultRetryPolicy, ...options.retry };
    this.budget = new RetryBudget({ ...defaultRetryBudget, ...options.retryBudget });
    this.send = options.send;
    this.hooks = options.hooks ?? {};
    this.peers = new PeerTable(this.policy, options.maxPeers ?? 4096);
    this.flow = { ...defaultFlowLimits, ...options.flow };
    this.maxDatagramBytes = options.maxDatagramBytes ?? defaultSizes.maxDatagramBytes;
    this.maxMessageBytes = options.maxMessageBytes ?? defaultReassemblyLimits.maxMessageBytes;
    this.codec = options.codec ?? 0;
    this.replies = new ReplyReceiver(this.send, this.maxDatagramBytes, this.maxMessageBytes);
    this.pmtu = options.pmtu === undefined ? undefined : new PathMtuTable(this.send, this.maxDatagramBytes, options.pmtu, () => this.currentSession, (to) => this.peers.get(to)?.rtt.rtoMs ?? this.policy.initialRtoMs);
    this.requests = new RequestSender(this.send, this.maxDatagramBytes, this.maxMessageBytes, this.codec, this.pmtu);
  }

  /** The session number new calls are sent in. */
  get session(): number {
    return this.currentSession;
  }

  /**
   * Starts a call. Returns its id, or an error (without calling `settle`) when
   * the request cannot be sent at all. `settle` is called exactly once, with
   * the outcome and how many times the request was transmitted.
   */
  call(req: CallRequest, now: number, settle: (outcome: CallOutcome, transmissions: number) => void, group?: GroupCollector): number | RpcError {
    this.lastNow = now;
    if (req.deadlineAt <= now) return new RpcError('DEADLINE_EXCEEDED', 'deadline passed before the call was sent');
    let body: Uint8Array | undefined;
    if (HEADER_BYTES + REQUEST_FIXED_BYTES + req.method.length + req.payload.length > this.maxDatagramBytes) {
      const encoded = this.requests.encode(req, now, this.spanFor(this.ids.peek()), this.peers.get(req.peer)?.incarnation ?? 0, group !== undefined);
      if (!(encoded instanceof Uint8Array)) return encoded;
      body = encoded;
    }
    const peer = this.peers.of(req.peer);
    const key = peer.key;
    // Every call to a server keeps its path MTU search going (§7.5).
    this.pmtu?.bytesFor(req.peer, key, now);
    const sendNow = peer.queued === 0 && peer.canSend(this.flow, now);
    if (!sendNow && (this.flow.whenFull === 'fail' || peer.queued >= this.flow.maxQueuedPerPeer)) {
      return new RpcError(
        'RESOURCE_EXHAUSTED',
        now < peer.pausedUntil
          ? `the server asked for a pause of ${Math.ceil(peer.pausedUntil - now)} ms`
          : `${peer.inFlight} calls in flight and ${peer.queued} queued to this server; the limits are ${this.flow.maxInFlightPerPeer} and ${this.flow.whenFull === 'fail' ? 0 : this.flow.maxQueuedPerPeer}`,
      );
    }
    const id = this.ids.allocate(this.isPending);
    const rtt = peer.rtt;
    const call: PendingCall = {
      id,
      session: this.currentSession,
      incarnation: peer.incarnation,
      peer: req.peer,
      peerKey: key,
      peerState: peer,
      queued: false,
      rtt,
      method: req.method,
      payload: req.payload,
      deadlineAt: req.deadlineAt,
      settle,
      attempt: 0,
      roundStart: 0,
      unacked: 0,
      lastSentAt: now,
      firstSentAt: Infinity,
      backoffMs: rtt.rtoMs,
      nextSendAt: now,
      acked: false,
      out: undefined,
      receivingReply: false,
      sampledAttempt: 0,
      lossArmed: false,
      lossSeq: 0,
      laterAnswered: 0,
      lossPrev: undefined,
      lossNext: undefined,
      group: group === undefined ? undefined : { collector: group, seen: new Set() },
      timerAt: 0,
      heapIndex: -1,
    };
    if (body !== undefined) this.requests.start(call, body);
    this.pending.set(id, call);
    this.counters.calls++;
    this.budget.onCall(this.pending.size);
    if (sendNow) {
      peer.inFlight++;
      this.transmit(call, now);
    } else {
      call.queued = true;
      peer.enqueue(call);
      this.timers.set(call, now < peer.pausedUntil ? Math.min(call.deadlineAt, peer.pausedUntil) : call.deadlineAt);
    }
    return id;
  }

  /** Sends a one-way request (no reply, no retransmission: at most once, maybe never). */
  notify(req: Omit<CallRequest, 'deadlineAt'> & { deadlineAt?: number }, now: number): RpcError | undefined {
    this.lastNow = now;
    const size = HEADER_BYTES + REQUEST_FIXED_BYTES + req.method.length + req.payload.length;
    if (size > this.maxDatagramBytes) {
      // Notifications are never retransmitted, so they are never fragmented either.
      return new RpcError('RESOURCE_EXHAUSTED', `notification is ${size} bytes, above the ${this.maxDatagramBytes}-byte datagram limit`);
    }
    const id = this.ids.allocate(this.isPending);
    const remaining = req.deadlineAt === undefined ? 0xffffffff : Math.max(1, Math.ceil(req.deadlineAt - now));
    const frame = encodeRequestFrame(
      { type: FrameType.REQUEST, flags: Flag.NO_REPLY, attempt: 0, session: this.currentSession, id },
      remaining,
      req.method,
      req.payload,
      NO_SPAN,
      0,
      this.codec,
    );
    this.counters.notifications++;
    this.send(frame, req.peer);
    return undefined;
  }

  /**
   * Ends a call locally (abort signal, client close). Sends a best-effort
   * CANCEL so the server can stop the handler. No-op for settled calls.
   */
  cancel(id: number, now: number, error: RpcError = new RpcError('CANCELLED', 'call cancelled')): void {
    this.lastNow = now;
    const call = this.pending.get(id);
    if (call === undefined) return;
    this.counters.cancelled++;
    this.sendCancel(call);
    this.finish(call, { ok: false, error });
  }

  /**
   * The network reported that nothing listens at `peer` (an ICMP port
   * unreachable; see {@link RetryPolicy.maxRefusals}). After that many in a
   * row, with no reply from the peer in between, every call to it fails with
   * UNAVAILABLE. No CANCEL is sent: there is nobody to tell.
   */
  unreachable(peer: PeerAddress, now: number): void {
    this.lastNow = now;
    const state = this.peers.get(peer);
    if (state === undefined) return;
    if (state.refusals++ === 0) state.refusingSince = now;
    if (state.refusals < this.policy.maxRefusals) return;
    const refusals = state.refusals;
    state.refusals = 0;
    const message = `nothing is listening at udp://${formatPeer(peer)} (${refusals} refusals in a row: ICMP port unreachable)`;
    for (const call of [...this.pending.values()]) {
      if (call.peerState !== state || call.group !== undefined || this.pending.get(call.id) !== call) continue;
      this.counters.timeouts++;
      this.hooks.onTimeout?.({ id: call.id, peer: call.peer, attempts: call.attempt });
      // A call sent before the refusals began, to a server that had answered,
      // may have reached a process that has since died (a restart, §6.3).
      const mayHaveRun = state.answered && call.firstSentAt < state.refusingSince;
      this.finish(call, { ok: false, error: new RpcError('UNAVAILABLE', message, { details: { refusals }, mayHaveRun }) });
    }
  }

  /** Cancels every call in flight (client shutdown). */
  cancelAll(now: number, error: RpcError): void {
    this.closing = true;
    for (const call of [...this.pending.values()]) {
      // A settle callback may have finished another call meanwhile.
      if (this.pending.get(call.id) !== call) continue;
      this.counters.cancelled++;
      this.sendCancel(call);
      this.finish(call, { ok: false, error });
    }
    this.lastNow = now;
  }

  /** Feeds one received datagram. Never throws. */
  receive(bytes: Uint8Array, from: PeerAddress, now: number): void {
    this.lastNow = now;
    const decoded = parseFrame(bytes);
    if (typeof decoded === 'string') return this.drop(decoded, from);
    if (decoded.type !== FrameType.BATCH) return this.handle(decoded, from, now);
    const frames = splitBatch(decoded.body);
    if (!frames.ok) return this.drop(frames.error, from);
    for (const bytesOfOne of frames.value) {
      const one = parseFrame(bytesOfOne);
      if (typeof one !== 'string') this.handle(one, from, now);
      else this.drop(one, from);
    }
  }

  private handle(frame: Frame, from: PeerAddress, now: number): void {
    switch (frame.type) {
      case FrameType.RESPONSE:
      case FrameType.ERROR:
      case FrameType.ACK:
      case FrameType.VALIDATE:
        return this.onReply(frame, from, now);
      case FrameType.FRAGMENT_ACK: {
        // Body first: a bad ack counts as truncated or malformed whatever
        // call it names, and never yields an RTT sample (protocol.md §11).
        const ack = decodeFragmentAck(frame.body);
        if (!ack.ok) return this.drop(ack.error, from);
        return this.onReply(frame, from, now, ack.value);
      }
      case FrameType.PONG:
        return this.onProbeAnswer(frame, from, now);
      default:
        return this.drop('unexpected-frame', from);
    }
  }

  /** Runs every timer due at `now`: retransmissions and deadlines. */
  onTimer(now: number): void {
    this.lastNow = now;
    for (let call = this.timers.popDue(now); call !== undefined; call = this.timers.popDue(now)) {
      if (call.queued && now < call.deadlineAt) {
        // A pause ended: let the queue move. Until it does, the deadline rules.
        this.timers.set(call, call.deadlineAt);
        this.drain(call.peerState, now);
      } else if (now >= call.deadlineAt && call.group !== undefined) {
        // The collection window closed: a normal end for a group call.
        this.finish(call, { ok: true, payload: EMPTY });
      } else if (now >= call.deadlineAt) {
        this.giveUp(call, new RpcError('DEADLINE_EXCEEDED', `no reply within the deadline after ${call.attempt} attempt(s)`));
      } else if (call.lossArmed && now < call.nextSendAt) {
        this.onLossTimer(call, now);
      } else if (call.group === undefined && call.unacked >= this.policy.maxAttempts) {
        this.giveUp(call, new RpcError('UNAVAILABLE', `no reply from the server after ${call.attempt} attempts`));
      } else if (this.budget.tryRetry(now)) {
        this.counters.retransmits++;
        this.hooks.onRetry?.({ id: call.id, peer: call.peer, attempt: call.attempt, rtoMs: call.backoffMs });
        this.transmit(call, now);
      } else {
        // No token: skip this turn, as if it had been sent and lost.
        this.schedule(call, now);
      }
    }
    this.requests.onTimer(now);
    this.pmtu?.onTimer(now);
  }

  // A PONG answering a path MTU probe (§7.5); any other PONG is unexpected.
  private onProbeAnswer(frame: Frame, from: PeerAddress, now: number): void {
    const bytes = this.pmtu === undefined ? undefined : parsePmtuProbeReply(frame);
    if (bytes === undefined) return this.drop('unexpected-frame', from);
    if (!this.pmtu!.onAnswer(peerKey(from), frame.id, bytes, now)) this.drop('unknown-call', from);
  }

  // No reply in time: tell the server (best effort) and fail the call.
  private giveUp(call: PendingCall, error: RpcError): void {
    this.counters.timeouts++;
    this.hooks.onTimeout?.({ id: call.id, peer: call.peer, attempts: call.attempt });
    this.sendCancel(call);
    this.finish(call, { ok: false, error });
  }

  /** When `onTimer` next needs to run, or undefined when nothing is pending. */
  nextTimerAt(): number | undefined {
    const call = this.timers.peek()?.timerAt;
    const transfer = this.requests.nextTimerAt();
    const first = transfer === undefined || (call !== undefined && call <= transfer) ? call : transfer;
    const probe = this.pmtu?.nextTimerAt();
    return probe === undefined || (first !== undefined && first <= probe) ? first : probe;
  }

  /** Number of calls awaiting their outcome. */
  get inFlight(): number {
    return this.pending.size;
  }

  /** A snapshot of the counters. */
  stats(): ClientEngineStats {
    let queued = 0;
    for (const call of this.pending.values()) if (call.queued) queued++;
    const window = { inFlight: 0, queued: 0 };
    for (const peer of this.peers.values()) {
      window.inFlight += peer.inFlight;
      window.queued += peer.queued;
    }
    return {
      ...this.counters,
      window,
      requestLossResends: this.requests.timers.lossResends,
      requestProbes: this.requests.timers.probes,
      pmtuProbes: this.pmtu?.probesSent ?? 0,
      pmtuProbesLost: this.pmtu?.probesLost ?? 0,
      pmtuBlackHoles: this.pmtu?.blackHoles ?? 0,
      inFlight: this.pending.size - queued,
      queued,
      drops: { ...this.drops },
      retryBudget: this.budget.state(this.lastNow),
    };
  }

  /** Smoothed RTT and RTO known for a peer, if any. */
  peerTiming(peer: PeerAddress): PeerRtt | undefined {
    const rtt = this.peers.get(peer)?.rtt;
    return rtt === undefined ? undefined : { srttMs: rtt.srttMs, rtoMs: rtt.rtoMs };
  }

  private transmit(call: PendingCall, now: number): void {
    if (call.attempt === 0) call.firstSentAt = now;
    call.attempt++;
    call.unacked++;
    call.lastSentAt = now;
    call.lossArmed = false;
    // Only a call the engine resends whole, and whose server has not said it
    // has it, can be declared lost early; fragment transfers keep their own timers.
    if (call.out === undefined && call.group === undefined && !call.acked && !call.receivingReply) call.peerState.loss.sent(call);
    else call.peerState.loss.remove(call);
    const header: FrameHeader = { type: FrameType.REQUEST, flags: 0, attempt: call.attempt - 1, session: call.session, id: call.id };
    if (call.receivingReply) {
      // The reply is arriving in fragments and stalled: ask for the missing ones.
      this.replies.stalled(call, header.attempt);
    } else if (call.out === undefined) {
      const remaining = Math.max(1, Math.ceil(call.deadlineAt - now));
      this.send(encodeRequestFrame(header, remaining, call.method, call.payload, this.spanFor(call.id), call.incarnation, this.codec), call.peer);
    } else {
      this.requests.transmit(call, call.out, header, now);
    }
    this.schedule(call, now);
  }

  /**
   * How far back from `id` the oldest call still in flight is (protocol.md
   * §6.3): the server forgets every call before it. Ids are allocated in
   * order, so the oldest only moves forward, past ids no longer pending.
   */
  private spanFor(id: number): number {
    const next = this.ids.peek();
    while (this.oldestId !== next && !this.pending.has(this.oldestId)) this.oldestId = (this.oldestId + 1) >>> 0;
    return (id - this.oldestId) >>> 0;
  }

  // Next retransmission: exponential backoff (capped) with jitter; after an
  // ACK, slow probing only to recover a lost reply. Never past the deadline.
  private schedule(call: PendingCall, now: number): void {
    const rto = call.rtt.rtoMs;
    let delay: number;
    if (call.acked) {
      // The server has the request: probe only to recover a lost reply, from
      // one RTO up to the slow probe interval. Jumping straight to the slow
      // interval would cost a quick handler whose reply is lost a whole second.
      delay = call.backoffMs;
      call.backoffMs = Math.min(Math.max(this.policy.ackedProbeIntervalMs, rto), call.backoffMs * this.policy.backoffMultiplier);
    } else {
      delay = call.backoffMs;
      const cap = Math.max(this.policy.maxBackoffMs, rto);
      call.backoffMs = Math.min(cap, call.backoffMs * this.policy.backoffMultiplier);
    }
    const j = this.policy.jitterRatio;
    delay *= 1 - j + 2 * j * this.random();
    call.nextSendAt = now + delay;
    this.timers.set(call, Math.min(call.nextSendAt, call.deadlineAt));
  }

  private onReply(frame: Frame, from: PeerAddress, now: number, ack?: FragmentAck): void {
    const call = this.pending.get(frame.id);
    if (call === undefined || call.session !== frame.session) return this.drop('unknown-call', from);
    if (call.group !== undefined) return this.onGroupReply(call, frame, from);
    if (call.peer.port !== from.port || call.peer.address !== from.address) return this.drop('wrong-peer', from);
    call.peerState.refusals = 0; // a sign of life
    call.peerState.answered = true;
    if (frame.type === FrameType.ERROR && (frame.flags & Flag.REJECTED) !== 0 && !this.isLiveRefusal(call, frame)) return this.drop('duplicate', from);
    // A pushed-back call waits out the pause (§8.1): acks of the refused round
    // must not make it send (a final reply, should a delayed copy have run, still ends it).
    if (call.queued && (frame.type === FrameType.ACK || frame.type === FrameType.FRAGMENT_ACK)) return this.drop('duplicate', from);
    // Karn's rule, made exact by the echoed attempt number: only a reply to
    // the latest transmission times it, and only once — the reply that
    // follows an ACK echoes the same attempt but includes the handler's time.
    const ofLatest = frame.attempt === call.attempt - 1 && frame.attempt < 255;
    if (ofLatest && call.sampledAttempt !== call.attempt) {
      call.sampledAttempt = call.attempt;
      call.rtt.sample(now - call.lastSentAt);
    }
    // A VALIDATE is a challenge, not an answer: the call stays a loss candidate.
    if (frame.type !== FrameType.VALIDATE) this.onAnswer(call, ofLatest, now);
    if (frame.type === FrameType.ACK) return this.onAcked(call, frame.body, now);
    if (frame.type === FrameType.VALIDATE) return this.onValidate(call, frame);
    if (ack !== undefined) return this.onFragmentAck(call, ack, frame.attempt, now);
    if (frame.fragment !== undefined) return this.onReplyFragment(call, frame, now);
    this.onWholeReply(call, frame.type, frame.flags, frame.body, from, now);
  }

  /**
   * `call` got an answer. If it answers the latest transmission, the calls
   * to the same peer sent before that transmission and still unanswered may
   * be lost (protocol.md §7.2, early loss detection, after RFC 9002 §6.1):
   * lost at once after LOSS_PACKET_THRESHOLD such answers, or once the time
   * threshold has passed since their own latest transmission; until then
   * their timer is armed at it.
   */
  private onAnswer(call: PendingCall, ofLatest: boolean, now: number): void {
    call.lossArmed = false;
    const suspects = this.suspects;
    call.peerState.loss.answered(call, ofLatest, suspects);
    if (suspects.length === 0) return;
    const delay = lossDelayMs(call.rtt);
    for (let i = 0; i < suspects.length; i++) {
      const suspect = suspects[i]!;
      if (suspect.laterAnswered >= LOSS_PACKET_THRESHOLD) {
        this.retransmitLost(suspect, now);
        continue;
      }
      if (delay === undefined) continue;
      const lossAt = suspect.lastSentAt + delay;
      if (lossAt <= now) {
        suspect.peerState.loss.remove(suspect);
        this.retransmitLost(suspect, now);
      } else if (lossAt < suspect.timerAt) {
        suspect.lossArmed = true;
        this.timers.set(suspect, lossAt);
      }
    }
    suspects.length = 0;
  }

  // The call's timer fired at its loss time threshold, before its RTO.
  private onLossTimer(call: PendingCall, now: number): void {
    call.lossArmed = false;
    const delay = lossDelayMs(call.rtt);
    // The RTT estimate moved since the timer was armed: check again.
    if (delay !== undefined && call.lastSentAt + delay > now) {
      const lossAt = call.lastSentAt + delay;
      if (lossAt < Math.min(call.nextSendAt, call.deadlineAt)) {
        call.lossArmed = true;
        this.timers.set(call, lossAt);
      } else {
        this.timers.set(call, Math.min(call.nextSendAt, call.deadlineAt));
      }
      return;
    }
    call.peerState.loss.remove(call);
    this.retransmitLost(call, now);
  }

  /**
   * Resends a call declared lost (no longer tracked by its peer's detector),
   * like a timer-driven retransmission: same id, next attempt, one budget
   * token. It was not a timeout, so the backoff restarts from the RTO
   * (RFC 9002 §6.2.1 resets its backoff when acknowledgements arrive).
   * Without a token, or with no attempt left, the call keeps its RTO timer.
   */
  private retransmitLost(call: PendingCall, now: number): void {
    call.lossArmed = false;
    if (now >= call.deadlineAt || call.unacked >= this.policy.maxAttempts || !this.budget.tryRetry(now)) {
      this.timers.set(call, Math.min(call.nextSendAt, call.deadlineAt));
      return;
    }
    this.counters.retransmits++;
    this.counters.lossRetransmits++;
    call.backoffMs = call.rtt.rtoMs;
    this.hooks.onRetry?.({ id: call.id, peer: call.peer, attempt: call.attempt, rtoMs: call.backoffMs });
    this.transmit(call, now);
  }

  // Any server may answer a group call, each once; replies must fit one datagram.
  private onGroupReply(call: PendingCall, frame: Frame, from: PeerAddress): void {
    const group = call.group!;
    if (frame.type === FrameType.VALIDATE) {
      this.counters.validations++;
      return this.send(encodeFrame({ ...frame, flags: 0, type: FrameType.VALIDATE_ECHO }, frame.body), from);
    }
    if (frame.type !== FrameType.RESPONSE && frame.type !== FrameType.ERROR) return;
    if (frame.fragment !== undefined) return this.drop('malformed', from);
    const key = peerKey(from);
    if (group.seen.has(key)) return this.drop('duplicate', from);
    let outcome: CallOutcome;
    if (frame.type === FrameType.RESPONSE) {
      outcome = { ok: true, payload: frame.body };
    } else {
      const body = decodeErrorBody(frame.body);
      if (!body.ok) return this.drop(body.error, from);
      outcome = { ok: false, error: new RpcError(codeFromNumber(body.value.code), body.value.message, { remote: true }), detailsBytes: body.value.details };
    }
    group.seen.add(key);
    this.counters.responses++;
    // Someone answered, so the request got out: from now on only probe
    // slowly for members whose reply was lost (each probe makes every member
    // resend its cached reply).
    call.acked = true;
    group.collector.onReply(from, outcome);
    if (group.seen.size >= group.collector.maxReplies) this.finish(call, { ok: true, payload: EMPTY });
  }

  // The server proves we own our address by having us echo its token (protocol.md §8.3).
  private onValidate(call: PendingCall, frame: Frame): void {
    this.counters.validations++;
    this.send(encodeFrame({ ...frame, flags: 0, type: FrameType.VALIDATE_ECHO }, frame.body), call.peer);
  }

  private onAcked(call: PendingCall, body: Uint8Array, now: number): void {
    // The server's incarnation (protocol.md §5.4); calls started from now on carry it.
    if (body.length >= 4) {
      const incarnation = bytesIO.readU32(body, 0);
      if (incarnation !== 0) call.peerState.incarnation = incarnation;
    }
    call.unacked = 0;
    if (call.out !== undefined && !call.out.complete) call.out.acknowledgeAll();
    if (!call.acked) {
      call.acked = true;
      call.backoffMs = call.rtt.rtoMs;
      this.schedule(call, now);
    }
  }

  // The server acknowledges fragments of our request.
  private onFragmentAck(call: PendingCall, ack: FragmentAck, attempt: number, now: number): void {
    if (call.out === undefined || ack.ackedType !== FrameType.REQUEST) return this.drop('unexpected-frame', call.peer);
    // Progress (or the whole request delivered): the next timeout is one RTO away again.
    if (!this.requests.onAck(call, call.out, ack, attempt, now)) return;
    call.unacked = 0;
    call.backoffMs = call.rtt.rtoMs;
    this.schedule(call, now);
  }

  private onReplyFragment(call: PendingCall, frame: Frame, now: number): void {
    // A server sending smaller fragments than the path carries lost track of it (§7.5).
    this.pmtu?.onReplyFragment(call.peerKey, frame.fragment!, now);
    const result = this.replies.offer(call, frame, now);
    switch (result.status) {
      case 'refused':
        this.counters.errors++;
        this.sendCancel(call);
        return this.finish(call, { ok: false, error: this.replies.refusal(result) });
      case 'mismatch':
        return this.drop('malformed', call.peer);
      case 'duplicate':
        return;
      case 'added':
        // Progress: the next stall probe is one RTO away again. A reply also
        // means the server has the whole request: its transfer's timer stops.
        if (!call.receivingReply && call.out !== undefined && !call.out.complete) call.out.acknowledgeAll();
        call.receivingReply = true;
        call.unacked = 0;
        call.backoffMs = call.rtt.rtoMs;
        this.schedule(call, now);
        if ((frame.flags & ACK_REQUESTED) !== 0 && result.reassembly.hasGaps) {
          // The sender's burst ended with holes in it: if they are not filled
          // within about an RTT, ask for them (a STALLED ack). The server's
          // own probe timer (reply-transfer.ts) starts later, after a PTO,
          // so the receiver that sees the holes asks first.
          const soon = now + Math.max(1, 1.25 * (call.rtt.srttMs ?? call.rtt.rtoMs));
          if (soon < call.timerAt) this.timers.set(call, soon);
        }
        return;
      case 'complete':
        return this.onWholeReply(call, frame.type, 0, result.body, call.peer, now);
    }
  }

  private onWholeReply(call: PendingCall, type: number, flags: number, replyBody: Uint8Array, from: PeerAddress, now: number): void {
    if (type === FrameType.RESPONSE) {
      this.counters.responses++;
      return this.finish(call, { ok: true, payload: replyBody });
    }
    const body = decodeErrorBody(replyBody);
    if (!body.ok) return this.drop(body.error, from);
    const e = body.value;
    const rejected = (flags & Flag.REJECTED) !== 0;
    if (rejected && e.details.length === 4) {
      // The refusing incarnation checked this copy against the restart rule
      // and kept nothing: the next round names it, so it is not refused as a
      // retransmission that may predate the server (protocol.md §5.3, §6.3).
      const incarnation = bytesIO.readU32(e.details, 0);
      if (incarnation !== 0) call.incarnation = call.peerState.incarnation = incarnation;
    }
    // MAY_HAVE_RUN forbids sending the call again (§3.2), even next to REJECTED (a broken server).
    if (rejected && (flags & Flag.MAY_HAVE_RUN) === 0 && e.retryAfterMs > 0 && this.pushBack(call, e.retryAfterMs, now)) return;
    this.counters.errors++;
    // The server no longer recognises this session's calls: new calls go in a new one.
    if ((flags & Flag.SESSION_STALE) !== 0 && call.session === this.currentSession) this.renewSession();
    // Refused as possibly run before a restart: the incarnation we knew may be
    // an old one. Calls started from now on reached only this server (§6.3).
    if ((flags & Flag.MAY_HAVE_RUN) !== 0 && call.peerState.incarnation === call.incarnation) call.peerState.incarnation = 0;
    const error = new RpcError(codeFromNumber(e.code), e.message, {
      remote: true,
      ...(e.retryAfterMs > 0 ? { retryAfterMs: e.retryAfterMs } : {}),
      ...((flags & Flag.MAY_HAVE_RUN) !== 0 ? { mayHaveRun: true } : {}),
    });
    this.finish(call, { ok: false, error, detailsBytes: rejected ? new Uint8Array(0) : e.details });
  }

  /**
   * Whether a REJECTED refusal is to be acted on (§8.1): once per round of
   * transmissions. A call already pushed back ignores further refusals (one
   * per refused fragment, a network duplicate), and so does a call whose
   * refusal echoes an attempt not sent in this round (a late copy of an
   * earlier round's refusal). Acting twice would
   * free its window slot twice and queue it twice.
   */
  private isLiveRefusal(call: PendingCall, frame: Frame): boolean {
    // The attempt byte saturates at 255: beyond it, rounds cannot be told apart.
    return !call.queued && frame.attempt >= Math.min(call.roundStart, 255) && frame.attempt < call.attempt;
  }

  private finish(call: PendingCall, outcome: CallOutcome): void {
    this.pending.delete(call.id);
    call.peerState.loss.remove(call);
    this.timers.delete(call);
    if (call.out !== undefined) call.out.stop();
    if (call.receivingReply) this.replies.discard(call);
    if (call.queued) call.peerState.forget();
    else call.peerState.inFlight--;
    this.drain(call.peerState, this.lastNow);
    call.settle(outcome, call.attempt);
  }

  // Starts queued calls while the peer's window has room and no pause holds.
  private drain(peer: PeerState<PendingCall>, now: number): void {
    if (this.closing) return;
    const live = (c: PendingCall): boolean => this.pending.get(c.id) === c && c.queued;
    for (let next = peer.peek(live); next !== undefined; next = peer.peek(live)) {
      if (!peer.canSend(this.flow, now)) {
        // Wake up when the pause ends (or at the call's deadline).
        if (now < peer.pausedUntil) this.timers.set(next, Math.min(next.deadlineAt, peer.pausedUntil));
        return;
      }
      peer.shift();
      next.queued = false;
      peer.inFlight++;
      this.transmit(next, now);
    }
  }

  /**
   * The server refused the call before running it and asked us to wait
   * (protocol.md §8.1). If the deadline allows, the call goes back to the
   * front of the queue (same id); the whole peer pauses meanwhile.
   */
  private pushBack(call: PendingCall, retryAfterMs: number, now: number): boolean {
    const peer = call.peerState;
    peer.pausedUntil = Math.max(peer.pausedUntil, now + retryAfterMs);
    if (peer.pausedUntil >= call.deadlineAt) return false;
    this.counters.pushbacks++;
    this.hooks.onPushback?.({ id: call.id, peer: call.peer, attempt: call.attempt, retryAfterMs });
    if (call.receivingReply) this.replies.discard(call);
    // Same id: should a delayed copy of the refused request still reach the
    // server and run, the resend is then a duplicate it answers from cache.
    // Attempt numbers go on (a new round starts): a late or duplicated
    // refusal echoes an attempt of the old round and is ignored, and a server
    // that lost its state meanwhile sees a retransmission (§3.2, §6.3).
    call.roundStart = call.attempt;
    call.unacked = 0;
    call.acked = false;
    call.receivingReply = false;
    call.sampledAttempt = 0;
    call.backoffMs = call.rtt.rtoMs;
    if (call.out !== undefined) this.requests.start(call, call.out.body);
    peer.inFlight--;
    call.queued = true;
    peer.requeueFront(call);
    this.drain(peer, now);
    return true;
  }

  // Calls in flight keep their session; only new calls use the new one.
  private renewSession(): void {
    const old = this.currentSession;
    const drawn = randomSession(this.random);
    // One draw, not a loop: a random source that repeats itself must not hang the engine.
    this.currentSession = drawn !== old ? drawn : (old % 0xffff_ffff) + 1;
    this.counters.sessionsRenewed++;
  }

  private sendCancel(call: PendingCall): void {
    if (call.attempt === 0) return;
    this.send(
      encodeFrame(
        { type: FrameType.CANCEL, flags: 0, attempt: call.attempt - 1, session: call.session, id: call.id },
        new Uint8Array(0),
      ),
      call.peer,
    );
  }

  private readonly isPending = (id: number): boolean => this.pending.has(id);

  private drop(reason: DropReason, from: PeerAddress): void {
    countDrop(this.drops, reason);
    this.hooks.onDrop?.(reason, from);
  }
}
