import { AmplificationGate } from '../flowcontrol/amplification-gate.js';
import { CallEntry, callKeyOf, CallState, DedupCache } from './dedup-cache.js';
import { countDrop, type DropCounts, type DropReason } from '../wire/drop-reason.js';
import { decodeFragmentAck } from '../wire/fragment-ack.js';
import { parseFrame, parseRequestBody, Flag, FrameType, NO_DEADLINE, splitBatch, bytesIO, type Frame } from '../wire/frame.js';
import { defaultReassemblyLimits, ReassemblyTable } from '../recovery/reassembly.js';
import { ReplySender } from './reply-sender.js';
import { ReplyPaths } from './reply-paths.js';
import { parsePmtuProbe } from '../wire/pmtu-probe.js';
import { defaultDedupPolicy, defaultSizes, type DedupPolicy } from '../recovery/retry-policy.js';
import { AdmissionQueue, defaultAdmissionLimits } from '../flowcontrol/admission-queue.js';
import { defaultSourceLimits, SourceTable } from './source-table.js';
import type { SessionState } from './session-state.js';
import { randomSession } from '../wire/message-ids.js';
import { peerKey, type DatagramMeta, type PeerAddress } from '../transport/transport.js';
import type {
  HandlerOutcome,
  IncomingCall,
  ServerEngineHooks,
  ServerEngineOptions,
  ServerEngineStats,
} from './server-engine-types.js';

export type { HandlerOutcome, IncomingCall, ServerEngineHooks, ServerEngineOptions, ServerEngineStats } from './server-engine-types.js';

/** In-flight spans at or above this (2^31) are not valid; 0xFFFFFFFF means "none" (protocol.md §5.1). */
const MAX_VALID_SPAN = 0x8000_0000;

/**
 * The server half of the protocol, free of I/O. It turns requests into
 * `onCall`s at most once per (peer, session, id) — a retransmission of a
 * running call is answered with ACK, one of a finished call with the cached
 * reply — keeps each entry for as long as the client may still retransmit
 * (protocol.md §6), bounds concurrency (§8.1), rate-limits sources and never
 * sends an unvalidated address more than 3× what it sent (§8.2–8.3).
 *
 * This class is the dispatcher and the call state machine; what goes back to
 * the client is the `ReplySender`'s, and every datagram out passes the
 * `AmplificationGate`.
 */
export class ServerEngine {
  private readonly cache: DedupCache;
  private readonly requests: ReassemblyTable;
  private readonly admission: AdmissionQueue<CallEntry>;
  private readonly sources: SourceTable;
  private readonly gate: AmplificationGate;
  private readonly replies: ReplySender;
  /** Each client's path size for its reply fragments (protocol.md §7.5). */
  private readonly paths: ReplyPaths;
  private readonly policy: DedupPolicy;
  private readonly hooks: ServerEngineHooks;
  /** Largest datagram this engine sends. */
  readonly maxDatagramBytes: number;
  private readonly counters = {
    requests: 0,
    notifications: 0,
    duplicatesInProgress: 0,
    duplicatesReplayed: 0,
    duplicatesRefused: 0,
    cancelled: 0,
    deadlineAborts: 0,
    rejected: 0,
    reassemblyRefused: 0,
    restartRefused: 0,
  };
  private readonly drops: DropCounts = {};
  // The transport hands the same PeerAddress object for the same address, so
  // remembering the last one saves building its string key per datagram.
  private lastFrom: PeerAddress | undefined;
  private lastPk = '';
  /**
   * This server's incarnation: random, non-zero, drawn at start. ACKs carry
   * it, and a retransmission that may predate it is refused (protocol.md §6.3).
   */
  readonly incarnation: number;
  /** The ACK body: the incarnation, big-endian (protocol.md §5.4). */
  private readonly ackBody = new Uint8Array(4);
  private startedAt: number | undefined;
  private readonly startupGraceMs: number;

  constructor(options: ServerEngineOptions) {
    this.hooks = options.hooks;
    this.incarnation = randomSession(options.random ?? Math.random);
    bytesIO.writeU32(this.ackBody, 0, this.incarnation);
    this.startedAt = options.startedAt;
    this.policy = { ...defaultDedupPolicy, ...options.dedup };
    this.startupGraceMs = options.startupGraceMs ?? this.policy.maxDeadlineMs + this.policy.graceMs;
    this.cache = new DedupCache(this.policy, this.onEvict);
    this.maxDatagramBytes = options.maxDatagramBytes ?? defaultSizes.maxDatagramBytes;
    this.requests = new ReassemblyTable({ ...defaultReassemblyLimits, ...options.reassembly });
    this.admission = new AdmissionQueue<CallEntry>({ ...defaultAdmissionLimits, ...options.admission }, (entry) => {
      if (entry.state !== CallState.Queued) return false;
      entry.state = CallState.Running;
      this.hooks.onCall(entry);
      return true;
    });
    const sourceLimits = {
      ...defaultSourceLimits,
      ...(options.validator === undefined ? { amplificationFactor: Infinity } : {}),
      ...options.sources,
    };
    this.sources = new SourceTable(
      sourceLimits,
      this.policy.maxDeadlineMs + this.policy.graceMs,
      // A forgotten source takes its sessions along; their calls stay findable.
      (source) => {
        for (const session of source.sessions.values()) this.cache.orphan(session);
      },
    );
    this.gate = new AmplificationGate(options.send, this.sources, options.validator, sourceLimits.amplificationFactor, this.maxDatagramBytes);
    this.paths = new ReplyPaths(this.sources, this.maxDatagramBytes, options.pmtu?.maxDatagramBytesFor);
    this.replies = new ReplySender(this.cache, this.gate, this.maxDatagramBytes, this.requests.limits.maxMessageBytes, this.paths);
  }

  /** Feeds one received datagram. Never throws (unless a hook does). */
  receive(bytes: Uint8Array, from: PeerAddress, now: number, meta?: DatagramMeta): void {
    this.startedAt ??= now;
    let pk = this.lastPk;
    if (from !== this.lastFrom) {
      pk = this.lastPk = peerKey(from);
      this.lastFrom = from;
    }
    if (!this.sources.admit(this.sources.get(pk, now), now)) return this.drop('rate-limited', from);
    const decoded = parseFrame(bytes);
    this.gate.received(pk, decoded, bytes.length, now);
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
      case FrameType.PING: {
        // A path MTU probe (§7.5) is answered at its own size; a plain PING empty.
        const probe = parsePmtuProbe(frame);
        if (probe === undefined) return this.replies.sendEmpty(frame, FrameType.PONG, from, pk, now);
        this.paths.onProbe(probe, from, pk, now);
        return this.replies.sendProbeReply(frame, probe.probeBytes, from, pk, now);
      }
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
    if (call.state === CallState.Running) this.replies.replyError(call, outcome, now);
    this.admission.release(call);
  }

  /** {@link respond} with a successful result, without an outcome object. */
  respondOk(call: IncomingCall, payload: Uint8Array, now: number): void {
    if (!(call instanceof CallEntry) || call.cache !== this.cache) return;
    if (call.state === CallState.Running) this.replies.reply(call, FrameType.RESPONSE, payload, now);
    this.admission.release(call);
  }

  /** Expires cache entries and reassemblies, fires handler deadlines and reply loss/probe timers due at `now`. */
  onTimer(now: number): void {
    this.requests.expire(now);
    this.replies.onTimer(now);
    for (let entry = this.cache.popDue(now); entry !== undefined; entry = this.cache.popDue(now)) {
      if (entry.state === CallState.Queued) {
        // It never ran and now never will: its place in the queue goes at once (§6.4).
        this.counters.deadlineAborts++;
        this.admission.withdraw(entry);
        if (entry.clamped) this.replyDeadlineClamped(entry, now);
        else this.cache.cancel(entry, now);
      } else if (entry.state === CallState.Running) {
        // Deadline reached with the handler still running: tell it to stop,
        // and take its slot back if it has not stopped after a grace period.
        this.counters.deadlineAborts++;
        this.hooks.onAbort?.(entry, 'deadline');
        // A host may answer from inside onAbort: then the call is finished already.
        if (entry.state !== CallState.Running) continue;
        this.admission.reclaimAt(entry, entry.deadlineAt + this.admission.limits.overrunGraceMs);
        if (entry.clamped) {
          this.replyDeadlineClamped(entry, now);
        } else {
          // Keep the entry so retransmissions still cannot run it again.
          this.cache.cancel(entry, now);
        }
      } else {
        this.cache.forget(entry);
      }
    }
    // After the deadlines above: a slot taken back goes to a call still worth running.
    this.admission.onTimer(now);
  }

  /** When `onTimer` next needs to run, or undefined. */
  nextTimerAt(): number | undefined {
    const at = Math.min(
      this.cache.nextTimerAt() ?? Infinity,
      this.requests.nextTimerAt() ?? Infinity,
      this.replies.nextTimerAt() ?? Infinity,
      this.admission.nextTimerAt() ?? Infinity,
    );
    return at === Infinity ? undefined : at;
  }

  /** A snapshot of the counters. */
  stats(): ServerEngineStats {
    const c = this.counters;
    return {
      requests: c.requests,
      responses: this.replies.responses,
      errors: this.replies.errors,
      notifications: c.notifications,
      duplicatesInProgress: c.duplicatesInProgress,
      duplicatesReplayed: c.duplicatesReplayed,
      duplicatesRefused: c.duplicatesRefused,
      cancelled: c.cancelled,
      deadlineAborts: c.deadlineAborts,
      handlerOverruns: this.admission.overruns,
      rejected: c.rejected,
      restartRefused: c.restartRefused,
      reassemblyRefused: c.reassemblyRefused,
      amplificationBlocked: this.gate.blocked,
      validations: this.gate.validations,
      running: this.admission.running,
      queued: this.admission.queued,
      cacheEntries: this.cache.size,
      cacheBytes: this.cache.bytes,
      cacheEvictions: this.cache.evictions,
      reassemblyExpired: this.requests.expired,
      reassemblyBytes: this.requests.bytes,
      replyLossResends: this.replies.timers.lossResends,
      replyProbes: this.replies.timers.probes,
      pmtuBlackHoles: this.paths.blackHoles,
      sources: this.sources.size,
      sessions: this.sources.sessionCount,
      stateBytes: this.sources.bytes,
      drops: { ...this.drops },
    };
  }

  private onRequest(frame: Frame, from: PeerAddress, pk: string, now: number, meta: DatagramMeta | undefined): void {
    const source = this.sources.get(pk, now);
    const session = this.sources.session(source, frame.session, now, this.policy.maxDeadlineMs + this.policy.graceMs, this.orphan);
    if (frame.fragment === undefined && frame.body.length >= 8) {
      // Everything before the client's oldest call in flight is finished: forget it (protocol.md §6.3).
      // A span of 2^31 or more (0xFFFFFFFF: none given; the rest: invalid) says nothing.
      const span = bytesIO.readU32(frame.body, 4);
      if (span < MAX_VALID_SPAN) session.advance((frame.id - span) >>> 0, this.release);
    }
    session.noteId(frame.id);
    const known = this.cache.find(session, pk, frame.session, frame.id);
    if (known !== undefined) return this.onDuplicate(known, frame, now);
    if (session.isStale(frame.id)) return this.onStale(frame, from, pk, now);
    if (frame.fragment === undefined) return this.startCall(frame, frame.body, from, pk, now, meta, session);
    // Fragments are reassembled under a string key; one datagram carries
    // ~1 KiB of the request, so its cost does not matter here.
    const key = callKeyOf(pk, frame.session, frame.id);
    const ackRequested = (frame.flags & Flag.ACK_REQUESTED) !== 0;
    const result = this.requests.offer(key, pk, FrameType.REQUEST, frame.fragment, frame.body, ackRequested, now);
    switch (result.status) {
      case 'refused':
        this.counters.reassemblyRefused++;
        return this.replies.sendError(
          frame,
          from,
          pk,
          now,
          'RESOURCE_EXHAUSTED',
          result.reason === 'message-too-large'
            ? `request is ${result.totalBytes} bytes, above the server's ${this.requests.limits.maxMessageBytes}-byte message limit`
            : 'the server is reassembling too many large requests; try again later',
          result.reason === 'message-too-large' ? 0 : this.admission.limits.retryAfterMs,
          // Only a new message is ever refused for room, before anything ran or
          // was kept: REJECTED, the client may send it again (protocol.md §7.4).
          result.reason === 'message-too-large' ? 0 : Flag.REJECTED,
          // A refusal with REJECTED names this incarnation, so the call's next round passes §6.3's restart rule.
          result.reason === 'message-too-large' ? undefined : this.ackBody,
        );
      case 'mismatch':
        return this.drop('malformed', from);
      case 'duplicate':
        if (result.ackNow) this.replies.sendRequestAck(frame, from, pk, now, result.reassembly.ack());
        return;
      case 'added':
        if (result.ackNow) this.replies.sendRequestAck(frame, from, pk, now, result.reassembly.ack());
        return;
      case 'complete':
        this.replies.sendRequestAck(frame, from, pk, now, result.reassembly.ack());
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
    const restarted = frame.attempt > 0 && !idempotent && this.mayPredateMe(body.incarnation, now);
    if (restarted) this.counters.restartRefused++;
    if (evicted || stateLost || restarted) {
      // No entry, but the call may have run: its reply was evicted by the byte
      // cap (then even a network duplicate of the first copy is suspect), or
      // this source's session state was lost and this is a retransmission, or
      // an earlier copy may have reached an earlier incarnation of this server.
      // Refuse rather than risk a second execution (protocol.md §6.3).
      this.counters.duplicatesRefused++;
      if (noReply) return this.drop('duplicate', from);
      // Short: a refusal must fit the 3× limit of an unvalidated retransmission.
      const message = evicted || stateLost ? 'may have run (the server lost its record); not run again' : 'may have run before a server restart; not run again';
      return this.replies.sendError(frame, from, pk, now, 'ABORTED', message, 0, Flag.MAY_HAVE_RUN);
    }
    if (!this.admission.hasRoom) {
      // Refused before anything ran or was remembered: the client may send it again later.
      this.counters.rejected++;
      if (noReply) return this.drop('overloaded', from);
      const message = 'the server is at its concurrency limit; try again later';
      return this.replies.sendError(frame, from, pk, now, 'RESOURCE_EXHAUSTED', message, this.admission.limits.retryAfterMs, Flag.REJECTED, this.ackBody);
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
      body.codec,
    );
    this.cache.add(entry);
    if (noReply) this.counters.notifications++;
    else this.counters.requests++;
    this.admission.submit(entry);
    this.cache.armDeadline(entry);
  }

  /**
   * Whether a call whose copies carry `known` (the incarnation its client
   * knew when it started the call, 0 for none) may have reached an earlier
   * incarnation of this server (protocol.md §6.3): it knew another one, or
   * it knew none and we started less than an entry lifetime ago.
   */
  private mayPredateMe(known: number, now: number): boolean {
    if (known !== 0) return known !== this.incarnation;
    return now - (this.startedAt ?? now) < this.startupGraceMs;
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
        return this.replies.sendEmpty(frame, FrameType.ACK, entry.peer, entry.peerKey, now, this.ackBody);
      case CallState.Done:
        this.counters.duplicatesReplayed++;
        return this.replies.resend(entry, now, frame);
      case CallState.Cancelled:
        return this.drop('cancelled-call', entry.peer);
    }
  }

  // A copy of a call the session's mark says the client has finished: late,
  // so dropped. A retransmission of it, though, means the client is still
  // waiting, so the mark is wrong (a forged or corrupted span): tell the client
  // its session is unusable and that the call may have run (its entry may
  // have been released by that mark) (protocol.md §6.3).
  private onStale(frame: Frame, from: PeerAddress, pk: string, now: number): void {
    this.drop('duplicate', from);
    if (frame.attempt === 0 || (frame.flags & Flag.NO_REPLY) !== 0 || (frame.fragment !== undefined && frame.fragment.index !== 0)) return;
    this.counters.duplicatesRefused++;
    const message = "behind this session's low-water mark; start a new session";
    this.replies.sendError(frame, from, pk, now, 'ABORTED', message, 0, Flag.MAY_HAVE_RUN | Flag.SESSION_STALE);
  }

  private onCancel(frame: Frame, pk: string, now: number): void {
    const entry = this.lookup(frame, pk, now);
    if (entry === undefined || (entry.state !== CallState.Running && entry.state !== CallState.Queued)) return;
    const wasRunning = entry.state === CallState.Running;
    // Kept (without a reply) until it expires, so that a retransmission still
    // in the network cannot start the handler again.
    this.admission.withdraw(entry);
    this.cache.cancel(entry, now);
    this.counters.cancelled++;
    if (wasRunning) {
      this.hooks.onAbort?.(entry, 'cancelled');
      this.admission.reclaimAt(entry, entry.deadlineAt + this.admission.limits.overrunGraceMs);
    }
  }

  // The entry a frame other than a REQUEST is about; unlike a request, it
  // neither creates nor refreshes the session.
  private lookup(frame: Frame, pk: string, now: number): CallEntry | undefined {
    const session = this.sources.get(pk, now).sessions.get(frame.session);
    return this.cache.find(session, pk, frame.session, frame.id);
  }

  private onFragmentAck(frame: Frame, from: PeerAddress, pk: string, now: number): void {
    // A client acknowledges fragments of our reply (or asks for the missing ones).
    // The body is checked before the call is looked up, so a bad ack counts
    // as truncated or malformed whether or not its call is known (§11).
    const ack = decodeFragmentAck(frame.body);
    if (!ack.ok) return this.drop(ack.error, from);
    const entry = this.lookup(frame, pk, now);
    const transfer = entry?.transfer;
    if (entry === undefined || transfer === undefined) return this.drop('unknown-call', from);
    if (frame.attempt > entry.attempt) entry.attempt = frame.attempt;
    this.replies.onAck(entry, transfer, ack.value, (frame.flags & Flag.ACK_REQUESTED) !== 0, now, frame.attempt);
  }

  private onValidateEcho(frame: Frame, from: PeerAddress, pk: string, now: number): void {
    if (!this.gate.validate(frame.body, pk, frame.session, now)) return this.drop('bad-token', from);
    // Send what the limit held back for this call.
    const entry = this.lookup(frame, pk, now);
    if (entry?.state === CallState.Done) this.replies.resend(entry, now, frame);
  }

  // The call's deadline was clamped to ours, so the client waits longer than
  // we allow: answer, so it stops asking.
  private replyDeadlineClamped(entry: CallEntry, now: number): void {
    const message = `the server allows at most ${this.policy.maxDeadlineMs} ms per call`;
    this.replies.replyError(entry, { ok: false, code: 'DEADLINE_EXCEEDED', message }, now);
  }

  private drop(reason: DropReason, from: PeerAddress): void {
    countDrop(this.drops, reason);
    this.hooks.onDrop?.(reason, from);
  }
}
