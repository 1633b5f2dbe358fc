import { CallEntry, callKeyOf, CallState, DedupCache, ENTRY_OVERHEAD_BYTES } from './dedup-cache.js';
import { countDrop, type DropCounts, type DropReason } from './drop-reason.js';
import { Code, type ErrorCode } from './errors.js';
import { decodeFragmentAck, encodeFragmentAck, type FragmentAck } from './fragment-ack.js';
import {
  parseFrame,
  parseRequestBody,
  encodeErrorBody,
  encodeFrame,
  Flag,
  FrameType,
  HEADER_BYTES,
  NO_DEADLINE,
  NO_SPAN,
  setAttempt,
  splitBatch,
  bytesIO,
  BATCH_ENTRY_BYTES,
  type Frame,
  type FrameHeader,
} from './frame.js';
import { fragmentBytesFor } from './outgoing-transfer.js';
import { ReplyTimers, ReplyTransfer } from './reply-transfer.js';
import { defaultReassemblyLimits, ReassemblyTable, type ReassemblyLimits } from './reassembly.js';
import { defaultDedupPolicy, defaultSizes, type DedupPolicy } from './retry-policy.js';
import { AdmissionQueue, defaultAdmissionLimits, type AdmissionLimits } from './admission-queue.js';
import { defaultSourceLimits, SourceTable, type AddressValidator, type SourceLimits } from './source-table.js';
import { sessionOf, type SessionState } from './session-state.js';
import { peerKey, type DatagramMeta, type PeerAddress } from './transport.js';

/**
 * A request the server should run. The object itself names the call in
 * {@link ServerEngine.respond} and `onAbort` (compare by identity): it is the
 * engine's own record of the call, so no string key is built per call.
 */
export interface IncomingCall {
  /** The handle `respond` and `onAbort` use: the call itself. */
  readonly key: IncomingCall;
  readonly peer: PeerAddress;
  readonly session: number;
  readonly id: number;
  readonly method: string;
  /** The request payload; read it before answering: the engine lets it go once the call is answered or cancelled. */
  readonly payload: Uint8Array;
  /** Absolute deadline on the engine's clock. */
  readonly deadlineAt: number;
  /** True for a notification: the handler runs but nothing is sent back. */
  readonly noReply: boolean;
  /** Identity the transport authenticated the (completing) datagram as, if any. */
  readonly authenticatedAs: string | undefined;
}

/** What the server engine asks of the layer that runs handlers. */
export interface ServerEngineHooks {
  /** A new call may run: run its handler, then call `respond` with it. */
  onCall(call: IncomingCall): void;
  /** The call's deadline passed or the client cancelled it: abort its handler. */
  onAbort?(call: IncomingCall, reason: 'deadline' | 'cancelled'): void;
  /** Whether a method may run twice; such methods skip the reply cache. */
  isIdempotent?(method: string): boolean;
  onDrop?(reason: DropReason, from: PeerAddress): void;
}

/** Configuration of a {@link ServerEngine}. */
export interface ServerEngineOptions {
  send(bytes: Uint8Array, to: PeerAddress): void;
  hooks: ServerEngineHooks;
  dedup?: Partial<DedupPolicy>;
  maxDatagramBytes?: number;
  /** Limits on requests arriving in fragments (maxMessageBytes: 16 MiB). */
  reassembly?: Partial<ReassemblyLimits>;
  /** Concurrency limit and queue for handlers. */
  admission?: Partial<AdmissionLimits>;
  /** Per-source rate limit and anti-amplification. */
  sources?: Partial<SourceLimits>;
  /** Mints and checks address-validation tokens; without it, anti-amplification is off. */
  validator?: AddressValidator;
}

/** A handler's outcome, with the result already encoded. */
export type HandlerOutcome =
  | { ok: true; payload: Uint8Array }
  | { ok: false; code: ErrorCode; message: string; details?: Uint8Array; retryAfterMs?: number };

/** Counters of a server engine. */
export interface ServerEngineStats {
  requests: number;
  responses: number;
  errors: number;
  notifications: number;
  /** Retransmissions answered with ACK while the handler ran. */
  duplicatesInProgress: number;
  /** Retransmissions answered from the reply cache. */
  duplicatesReplayed: number;
  /** Retransmissions refused because the reply may have been evicted (protocol.md §6.3). */
  duplicatesRefused: number;
  cancelled: number;
  deadlineAborts: number;
  /** Handlers running now. */
  running: number;
  /** Calls admitted and waiting for a handler slot. */
  queued: number;
  /** Calls refused with pushback because handlers and queue were full. */
  rejected: number;
  cacheEntries: number;
  cacheBytes: number;
  cacheEvictions: number;
  /** Requests refused because reassembly limits were reached. */
  reassemblyRefused: number;
  /** Unfinished fragmented requests discarded after the idle timeout. */
  reassemblyExpired: number;
  reassemblyBytes: number;
  /** Sends held back by the anti-amplification limit. */
  amplificationBlocked: number;
  /** Reply fragments resent by the server's own loss timer, and probes sent by its probe timer (protocol.md §7.3). */
  replyLossResends: number;
  replyProbes: number;
  /** Source addresses validated by a token round trip. */
  validations: number;
  /** Source addresses currently remembered. */
  sources: number;
  /** Client sessions currently remembered (their low-water marks), at most 16 per source. */
  sessions: number;
  drops: DropCounts;
}

/**
 * The server half of the protocol, free of I/O. It turns requests into
 * `onCall`s at most once per (peer, session, id) — a retransmission of a
 * running call is answered with ACK, one of a finished call with the cached
 * reply — keeps each entry for as long as the client may still retransmit
 * (protocol.md §6), bounds concurrency (§8.1), rate-limits sources and never
 * sends an unvalidated address more than 3× what it sent (§8.2–8.3).
 */
export class ServerEngine {
  private readonly cache: DedupCache;
  private readonly requests: ReassemblyTable;
  private readonly admission: AdmissionQueue<CallEntry>;
  private readonly sources: SourceTable;
  /** Loss and probe timers of replies in fragments (protocol.md §7.3). */
  private readonly replyTimers = new ReplyTimers();
  private readonly amplificationFactor: number;
  private readonly policy: DedupPolicy;
  private readonly send: (bytes: Uint8Array, to: PeerAddress) => void;
  private readonly hooks: ServerEngineHooks;
  private readonly validator: AddressValidator | undefined;
  private readonly fragmentBytes: number;
  readonly maxDatagramBytes: number;
  private readonly counters = {
    requests: 0,
    responses: 0,
    errors: 0,
    notifications: 0,
    duplicatesInProgress: 0,
    duplicatesReplayed: 0,
    duplicatesRefused: 0,
    cancelled: 0,
    deadlineAborts: 0,
    rejected: 0,
    reassemblyRefused: 0,
    amplificationBlocked: 0,
    validations: 0,
  };
  private readonly drops: DropCounts = {};
  private lastNow = 0;
  // The transport hands the same PeerAddress object for the same address, so
  // remembering the last one saves building its string key per datagram.
  private lastFrom: PeerAddress | undefined;
  private lastPk = '';

  constructor(options: ServerEngineOptions) {
    this.send = options.send;
    this.hooks = options.hooks;
    this.policy = { ...defaultDedupPolicy, ...options.dedup };
    this.cache = new DedupCache(this.policy, this.onEvict);
    this.maxDatagramBytes = options.maxDatagramBytes ?? defaultSizes.maxDatagramBytes;
    this.requests = new ReassemblyTable({ ...defaultReassemblyLimits, ...options.reassembly });
    this.admission = new AdmissionQueue<CallEntry>({ ...defaultAdmissionLimits, ...options.admission }, (entry) => {
      if (entry.state !== CallState.Queued) return false;
      entry.state = CallState.Running;
      this.hooks.onCall(entry);
      return true;
    });
    this.validator = options.validator;
    const sourceLimits = {
      ...defaultSourceLimits,
      ...(options.validator === undefined ? { amplificationFactor: Infinity } : {}),
      ...options.sources,
    };
    this.amplificationFactor = sourceLimits.amplificationFactor;
    this.sources = new SourceTable(
      sourceLimits,
      this.policy.maxDeadlineMs + this.policy.graceMs,
      // A forgotten source takes its sessions along; their calls stay findable.
      (source) => {
        for (const session of source.sessions.values()) this.cache.orphan(session);
      },
    );
    this.fragmentBytes = fragmentBytesFor(this.maxDatagramBytes);
  }

  /** Feeds one received datagram. Never throws (unless a hook does). */
  receive(bytes: Uint8Array, from: PeerAddress, now: number, meta?: DatagramMeta): void {
    this.lastNow = now;
    let pk = this.lastPk;
    if (from !== this.lastFrom) {
      pk = this.lastPk = peerKey(from);
      this.lastFrom = from;
    }
    if (!this.sources.admit(this.sources.get(pk, now), bytes.length, now)) return this.drop('rate-limited', from);
    const decoded = parseFrame(bytes);
    if (typeof decoded === 'string') return this.drop(decoded, from);
    if (decoded.type !== FrameType.BATCH) return this.handle(decoded, from, pk, now, meta);
    const frames = splitBatch(decoded.body);
    if (!frames.ok) return this.drop(frames.error, from);
    for (const bytesOfOne of frames.value) {
      const one = parseFrame(bytesOfOne);
      if (typeof one !== 'string') this.handle(one, from, pk, now, meta);
      else this.drop(one, from);
    }
  }

  private handle(frame: Frame, from: PeerAddress, pk: string, now: number, meta: DatagramMeta | undefined): void {
    switch (frame.type) {
      case FrameType.REQUEST:
        return this.onRequest(frame, from, pk, now, meta);
      case FrameType.CANCEL:
        return this.onCancel(frame, pk, now);
      case FrameType.FRAGMENT_ACK:
        return this.onFragmentAck(frame, from, pk, now);
      case FrameType.VALIDATE_ECHO:
        return this.onValidateEcho(frame, from, pk, now);
      case FrameType.PING:
        return this.transmit(encodeFrame({ ...headerOf(frame), type: FrameType.PONG }, new Uint8Array(0)), from, pk, now, frame);
      default:
        return this.drop('unexpected-frame', from);
    }
  }

  /**
   * Delivers a handler's outcome for `call`. Frees its handler slot; the reply
   * is dropped when the call was cancelled or forgotten (or is not this engine's).
   */
  respond(call: IncomingCall, outcome: HandlerOutcome, now: number): void {
    if (outcome.ok) return this.respondOk(call, outcome.payload, now);
    if (!(call instanceof CallEntry) || call.cache !== this.cache) return;
    if (call.state === CallState.Running) this.replyError(call, outcome, now);
    this.admission.release(call);
  }

  /** {@link respond} with a successful result, without an outcome object. */
  respondOk(call: IncomingCall, payload: Uint8Array, now: number): void {
    if (!(call instanceof CallEntry) || call.cache !== this.cache) return;
    if (call.state === CallState.Running) this.reply(call, FrameType.RESPONSE, payload, now);
    this.admission.release(call);
  }

  /** Expires cache entries and reassemblies, fires handler deadlines and reply loss/probe timers due at `now`. */
  onTimer(now: number): void {
    this.requests.expire(now);
    for (let t = this.replyTimers.popDue(now); t !== undefined; t = this.replyTimers.popDue(now)) {
      // No probe the anti-amplification limit would block (RFC 9002 §6.2.2.1):
      // the client's next datagram re-arms the transfer.
      if (this.mayProbe(t.entry, now)) this.sendReplyFragments(t.entry, t.onTimer(now), now);
    }
    for (let entry = this.cache.popDue(now); entry !== undefined; entry = this.cache.popDue(now)) {
      if (entry.state === CallState.Queued) {
        this.counters.deadlineAborts++;
        if (entry.clamped) {
          const message = `the server allows at most ${this.policy.maxDeadlineMs} ms per call`;
          this.replyError(entry, { ok: false, code: 'DEADLINE_EXCEEDED', message }, now);
        } else {
          this.cache.cancel(entry, now);
        }
      } else if (entry.state === CallState.Running) {
        // Deadline reached with the handler still running: tell it to stop.
        this.counters.deadlineAborts++;
        this.hooks.onAbort?.(entry, 'deadline');
        if (entry.clamped) {
          // The client waits longer than we allow: answer, so it stops asking.
          const message = `the server allows at most ${this.policy.maxDeadlineMs} ms per call`;
          this.replyError(entry, { ok: false, code: 'DEADLINE_EXCEEDED', message }, now);
        } else {
          // Keep the entry so retransmissions still cannot run it again.
          this.cache.cancel(entry, now);
        }
      } else {
        this.cache.forget(entry);
      }
    }
  }

  /** When `onTimer` next needs to run, or undefined. */
  nextTimerAt(): number | undefined {
    const at = Math.min(this.cache.nextTimerAt() ?? Infinity, this.requests.nextTimerAt() ?? Infinity, this.replyTimers.nextTimerAt() ?? Infinity);
    return at === Infinity ? undefined : at;
  }

  /** A snapshot of the counters. */
  stats(): ServerEngineStats {
    return {
      ...this.counters,
      running: this.admission.running,
      queued: this.admission.queued,
      cacheEntries: this.cache.size,
      cacheBytes: this.cache.bytes,
      cacheEvictions: this.cache.evictions,
      reassemblyExpired: this.requests.expired,
      reassemblyBytes: this.requests.bytes,
      replyLossResends: this.replyTimers.lossResends,
      replyProbes: this.replyTimers.probes,
      sources: this.sources.size,
      sessions: this.sources.sessionCount(),
      drops: { ...this.drops },
    };
  }

  private onRequest(frame: Frame, from: PeerAddress, pk: string, now: number, meta: DatagramMeta | undefined): void {
    const source = this.sources.get(pk, now);
    const session = sessionOf(source, frame.session, now, this.policy.maxDeadlineMs + this.policy.graceMs, this.orphan);
    if (frame.fragment === undefined && frame.body.length >= 8) {
      // Everything before the client's oldest call in flight is finished: forget it (protocol.md §6.3).
      const span = bytesIO.readU32(frame.body, 4);
      if (span !== NO_SPAN) session.advance((frame.id - span) >>> 0, this.release);
    }
    const known = this.cache.find(session, pk, frame.session, frame.id);
    if (known !== undefined) return this.onDuplicate(known, frame, now);
    if (session.isStale(frame.id)) return this.drop('duplicate', from);
    if (frame.fragment === undefined) return this.startCall(frame, frame.body, from, pk, now, meta, session);
    // Fragments are reassembled under a string key; one datagram carries
    // ~1 KiB of the request, so its cost does not matter here.
    const key = callKeyOf(pk, frame.session, frame.id);
    const ackRequested = (frame.flags & Flag.ACK_REQUESTED) !== 0;
    const result = this.requests.offer(key, pk, FrameType.REQUEST, frame.fragment, frame.body, ackRequested, now);
    switch (result.status) {
      case 'refused':
        this.counters.reassemblyRefused++;
        return this.sendError(
          frame,
          from,
          pk,
          now,
          'RESOURCE_EXHAUSTED',
          result.reason === 'message-too-large'
            ? `request is ${result.totalBytes} bytes, above the server's ${this.requests.limits.maxMessageBytes}-byte message limit`
            : 'the server is reassembling too many large requests; try again later',
          result.reason === 'message-too-large' ? 0 : this.admission.limits.retryAfterMs,
          // Over a shared limit, nothing ran: the client may send it again later.
          result.reason === 'message-too-large' ? 0 : Flag.REJECTED,
        );
      case 'mismatch':
        return this.drop('malformed', from);
      case 'duplicate':
        if (result.ackNow) this.sendRequestAck(frame, from, pk, now, result.reassembly.ack());
        return;
      case 'added':
        if (result.ackNow) this.sendRequestAck(frame, from, pk, now, result.reassembly.ack());
        return;
      case 'complete':
        this.sendRequestAck(frame, from, pk, now, result.reassembly.ack());
        return this.startCall(frame, result.body, from, pk, now, meta, session);
    }
  }

  private startCall(
    frame: Frame,
    requestBody: Uint8Array,
    from: PeerAddress,
    pk: string,
    now: number,
    meta: DatagramMeta | undefined,
    owner: SessionState,
  ): void {
    const body = parseRequestBody(requestBody);
    if (typeof body === 'string') return this.drop(body, from);
    const { deadlineMs, method, payload } = body;
    if (deadlineMs === 0) return this.drop('expired', from);
    const noReply = (frame.flags & Flag.NO_REPLY) !== 0;
    const idempotent = this.hooks.isIdempotent?.(method) ?? false;
    const evicted = !idempotent && owner.mayHaveBeenEvicted(frame.id);
    const stateLost = frame.attempt > 0 && !idempotent && now - owner.source.lostStateAt < this.policy.maxDeadlineMs + this.policy.graceMs;
    if (evicted || stateLost) {
      // No entry, but the call may have run: its reply was evicted by the byte
      // cap (then even a network duplicate of the first copy is suspect), or
      // this source's session state was lost and this is a retransmission.
      // Refuse rather than risk a second execution (protocol.md §6.3).
      this.counters.duplicatesRefused++;
      if (noReply) return this.drop('duplicate', from);
      const message = 'the server could not tell whether this call already ran (its dedup state was evicted); not running it again';
      return this.sendError(frame, from, pk, now, 'ABORTED', message, 0);
    }
    if (!this.admission.hasRoom) {
      // Refused before anything ran or was remembered: the client may send it again later.
      this.counters.rejected++;
      if (noReply) return this.drop('overloaded', from);
      const message = 'the server is at its concurrency limit; try again later';
      return this.sendError(frame, from, pk, now, 'RESOURCE_EXHAUSTED', message, this.admission.limits.retryAfterMs, Flag.REJECTED);
    }
    const clamped = deadlineMs === NO_DEADLINE || deadlineMs > this.policy.maxDeadlineMs;
    const entry = new CallEntry(
      this.cache,
      from,
      pk,
      frame.session,
      frame.id,
      method,
      payload,
      now + (clamped ? this.policy.maxDeadlineMs : deadlineMs),
      noReply,
      idempotent,
      clamped,
      frame.attempt,
      owner,
      meta?.authenticatedAs,
    );
    this.cache.add(entry);
    if (noReply) this.counters.notifications++;
    else this.counters.requests++;
    this.admission.submit(entry);
    this.cache.armDeadline(entry);
  }

  // The byte cap pushed out a reply: its source's retransmissions are now ambiguous.
  private readonly onEvict = (entry: CallEntry): void => {
    entry.owner.noteEvicted(entry.id);
  };

  // A session left its source's table: its remaining calls stay findable.
  private readonly orphan = (session: SessionState): void => this.cache.orphan(session);

  // A finished call the client no longer needs: its entry goes; the session's
  // low-water mark keeps any late copy from running it again.
  private readonly release = (entry: CallEntry): void => {
    if (entry.state === CallState.Done || entry.state === CallState.Cancelled) this.cache.forget(entry);
  };

  private onDuplicate(entry: CallEntry, frame: Frame, now: number): void {
    if (frame.attempt > entry.attempt) entry.attempt = frame.attempt;
    this.cache.touch(entry, now);
    // A stray copy of a request fragment is not a retransmission; only a
    // flagged one (the sender's probe) asks for a reply.
    if (frame.fragment !== undefined && (frame.flags & Flag.ACK_REQUESTED) === 0) return this.drop('duplicate', entry.peer);
    if (entry.noReply) return this.drop('duplicate', entry.peer);
    switch (entry.state) {
      case CallState.Queued:
      case CallState.Running:
        this.counters.duplicatesInProgress++;
        return this.transmit(encodeFrame({ ...headerOf(frame), type: FrameType.ACK }, new Uint8Array(0)), entry.peer, entry.peerKey, now, frame);
      case CallState.Done:
        this.counters.duplicatesReplayed++;
        return this.resendReply(entry, now, frame);
      case CallState.Cancelled:
        return this.drop('cancelled-call', entry.peer);
    }
  }

  private resendReply(entry: CallEntry, now: number, trigger: Frame): void {
    if (entry.transfer !== undefined) {
      // Only the fragments of the reply not known to have arrived.
      // Only fragments not sent within the last RTT or so: a retransmitted
      // request and a validation echo arriving together must not both resend everything.
      this.sendReplyFragments(entry, entry.transfer.resend(now, RESEND_MIN_AGE_MS), now);
    } else if (entry.reply !== undefined) {
      const reply = entry.reply.slice();
      setAttempt(reply, trigger.attempt);
      this.transmit(reply, entry.peer, entry.peerKey, now, trigger);
    }
  }

  private replyError(entry: CallEntry, outcome: HandlerOutcome & { ok: false }, now: number): void {
    if (entry.noReply) return this.complete(entry, undefined, now);
    this.reply(entry, FrameType.ERROR, replyBody(outcome), now);
  }

  // Answers with `body`, a RESPONSE payload or an encoded ERROR body.
  private reply(entry: CallEntry, type: FrameType, body: Uint8Array, now: number): void {
    if (entry.noReply) return this.complete(entry, undefined, now);
    if (type === FrameType.RESPONSE) this.counters.responses++;
    else this.counters.errors++;
    if (body.length > this.requests.limits.maxMessageBytes) {
      type = FrameType.ERROR;
      const message = `reply is ${body.length} bytes, above the server's ${this.requests.limits.maxMessageBytes}-byte message limit`;
      body = replyBody({ ok: false, code: 'RESOURCE_EXHAUSTED', message });
    }
    const header: FrameHeader = { type, flags: 0, attempt: entry.attempt, session: entry.session, id: entry.id };
    if (HEADER_BYTES + body.length <= this.maxDatagramBytes) {
      const reply = encodeFrame(header, body);
      this.transmit(reply, entry.peer, entry.peerKey, now, header);
      return this.complete(entry, reply, now);
    }
    entry.transfer = new ReplyTransfer(entry, type, body, this.fragmentBytes, this.replyTimers);
    this.sendReplyFragments(entry, entry.transfer.nextToSend(now), now);
    this.complete(entry, undefined, now);
  }

  private complete(entry: CallEntry, reply: Uint8Array | undefined, now: number): void {
    entry.dropPayload();
    if (entry.idempotent && entry.transfer === undefined && reply !== undefined) {
      // Idempotent methods may run again, so their replies are not cached.
      return this.cache.forget(entry);
    }
    entry.reply = reply;
    // The request payload is no longer held; the reply is, until it expires.
    this.cache.setBytes(entry, ENTRY_OVERHEAD_BYTES + (reply?.length ?? 0) + (entry.transfer?.body.length ?? 0));
    this.cache.finish(entry, now);
  }

  private sendReplyFragments(entry: CallEntry, indexes: number[], now: number): void {
    const header: FrameHeader = { type: FrameType.RESPONSE, flags: 0, attempt: entry.attempt, session: entry.session, id: entry.id };
    for (let i = 0; i < indexes.length; i++) {
      this.transmit(entry.transfer!.frame(header, indexes[i]!, i === indexes.length - 1), entry.peer, entry.peerKey, now, header);
    }
  }

  // A client acknowledges fragments of our reply (or asks for the missing ones).
  private onFragmentAck(frame: Frame, from: PeerAddress, pk: string, now: number): void {
    const entry = this.lookup(frame, pk, now);
    const transfer = entry?.transfer;
    if (entry === undefined || transfer === undefined) return this.drop('unknown-call', from);
    const ack = decodeFragmentAck(frame.body);
    if (!ack.ok) return this.drop(ack.error, from);
    if (frame.attempt > entry.attempt) entry.attempt = frame.attempt;
    transfer.onAck(ack.value, now);
    if (transfer.complete) {
      // The client has the whole reply: keep the entry (it still blocks
      // re-execution) but free the reply's bytes.
      entry.transfer = undefined;
      this.cache.setBytes(entry, ENTRY_OVERHEAD_BYTES);
      return;
    }
    const stalled = (frame.flags & Flag.ACK_REQUESTED) !== 0;
    this.sendReplyFragments(entry, stalled ? transfer.resend(now, 1) : transfer.nextToSend(now), now);
  }

  private onCancel(frame: Frame, pk: string, now: number): void {
    const entry = this.lookup(frame, pk, now);
    if (entry === undefined || (entry.state !== CallState.Running && entry.state !== CallState.Queued)) return;
    const wasRunning = entry.state === CallState.Running;
    // Kept (without a reply) until it expires, so that a retransmission still
    // in the network cannot start the handler again.
    this.cache.cancel(entry, now);
    this.counters.cancelled++;
    if (wasRunning) this.hooks.onAbort?.(entry, 'cancelled');
  }

  // The entry a frame other than a REQUEST is about; unlike a request, it
  // neither creates nor refreshes the session.
  private lookup(frame: Frame, pk: string, now: number): CallEntry | undefined {
    const session = this.sources.get(pk, now).sessions.get(frame.session);
    return this.cache.find(session, pk, frame.session, frame.id);
  }

  private onValidateEcho(frame: Frame, from: PeerAddress, pk: string, now: number): void {
    const source = this.sources.get(pk, now);
    if (this.validator === undefined || !this.validator.verify(frame.body, pk, now)) return this.drop('bad-token', from);
    if (!source.validated) this.counters.validations++;
    source.validated = true;
    // Send what the limit held back for this call.
    const entry = this.lookup(frame, pk, now);
    if (entry?.state === CallState.Done) this.resendReply(entry, now, frame);
  }

  // Whether a timer-driven fragment to the entry's peer would pass the gate below.
  private mayProbe(entry: CallEntry, now: number): boolean {
    const source = this.sources.get(entry.peerKey, now);
    const cost = this.maxDatagramBytes + HEADER_BYTES + BATCH_ENTRY_BYTES;
    return source.validated || this.amplificationFactor === Infinity || source.bytesOut + cost <= this.amplificationFactor * source.bytesIn;
  }

  // Every datagram to a peer goes through here: the anti-amplification gate.
  private transmit(bytes: Uint8Array, to: PeerAddress, pk: string, now: number, about: FrameHeader): void {
    const source = this.sources.get(pk, now);
    if (this.sources.allowSend(source, bytes.length)) return this.send(bytes, to);
    this.counters.amplificationBlocked++;
    // One challenge per datagram received, so a request never earns several.
    if (this.validator === undefined || !source.mayChallenge) return;
    source.mayChallenge = false;
    const challenge = encodeFrame({ ...headerOf(about), type: FrameType.VALIDATE }, this.validator.mint(pk, now));
    if (this.sources.allowSend(source, challenge.length)) this.send(challenge, to);
  }

  private sendRequestAck(frame: Frame, to: PeerAddress, pk: string, now: number, ack: FragmentAck): void {
    const body = encodeFragmentAck(ack, this.maxDatagramBytes - HEADER_BYTES);
    this.transmit(encodeFrame({ ...headerOf(frame), type: FrameType.FRAGMENT_ACK }, body), to, pk, now, frame);
  }

  private sendError(
    frame: Frame,
    to: PeerAddress,
    pk: string,
    now: number,
    code: ErrorCode,
    message: string,
    retryAfterMs: number,
    flags = 0,
  ): void {
    this.counters.errors++;
    const body = encodeErrorBody({ code: Code[code], retryAfterMs, message });
    this.transmit(encodeFrame({ ...headerOf(frame), type: FrameType.ERROR, flags }, body), to, pk, now, frame);
  }

  private drop(reason: DropReason, from: PeerAddress): void {
    countDrop(this.drops, reason);
    this.hooks.onDrop?.(reason, from);
  }
}

/** A reply fragment sent more recently than this is not resent on a client's request. */
const RESEND_MIN_AGE_MS = 10;

function replyBody(outcome: HandlerOutcome): Uint8Array {
  if (outcome.ok) return outcome.payload;
  return encodeErrorBody({
    code: Code[outcome.code],
    retryAfterMs: outcome.retryAfterMs ?? 0,
    message: outcome.message,
    ...(outcome.details === undefined ? {} : { details: outcome.details }),
  });
}

function headerOf(frame: FrameHeader): FrameHeader {
  return { type: frame.type, flags: 0, attempt: frame.attempt, session: frame.session, id: frame.id };
}
