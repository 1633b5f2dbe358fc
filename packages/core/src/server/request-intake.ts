import type { AdmissionQueue } from '../flowcontrol/admission-queue.js';
import type { ReassemblyTable } from '../recovery/reassembly-table.js';
import type { DedupPolicy } from '../recovery/retry-policy.js';
import type { PeerAddress, DatagramMeta } from '../transport/transport.js';
import type { DropReason } from '../wire/drop-reason.js';
import { bytesIO } from '../wire/byte-io.js';
import { Flag, FrameType } from '../wire/frame-header.js';
import type { Frame } from '../wire/frame.js';
import { NO_DEADLINE, parseRequestBody } from '../wire/request-body.js';
import { CallEntry, callKeyOf, CallState } from './call-entry.js';
import type { DedupCache } from './dedup-cache.js';
import type { Incarnation } from './incarnation.js';
import type { ReplySender } from './reply-sender.js';
import type { ServerEngineHooks } from './server-engine-types.js';
import type { CallCounters } from './server-stats.js';
import type { SessionState } from './session-state.js';
import type { SourceState, SourceTable } from './source-table.js';
import type { DrainState } from './drain-state.js';
import { metadataBlockSize, metadataRetainedBytes, splitMetadata, type Metadata } from '../wire/metadata.js';

/** In-flight spans at or above this (2^31) are not valid; 0xFFFFFFFF means "none" (protocol.md §5.1). */
const MAX_VALID_SPAN = 0x8000_0000;

/** What the request path shares with the rest of the server engine. */
export interface IntakeParts {
  readonly cache: DedupCache;
  readonly requests: ReassemblyTable;
  readonly admission: AdmissionQueue<CallEntry>;
  readonly sources: SourceTable;
  readonly replies: ReplySender;
  readonly policy: DedupPolicy;
  readonly hooks: ServerEngineHooks;
  readonly counters: CallCounters;
  readonly incarnation: Incarnation;
  /** Counts a discarded datagram (or frame). */
  readonly drop: (reason: DropReason, from: PeerAddress) => void;
  /** The drain under way, if any: new calls are then refused as going away (protocol.md §5.9). */
  readonly drain: () => DrainState | undefined;
  /** Largest request metadata block accepted (protocol.md §5.8). */
  readonly maxMetadataBytes: number;
}

/**
 * What a REQUEST frame does on the server (protocol.md §6): it moves its
 * session's low-water mark, is answered from the dedup cache if its call is
 * known, refused if it is behind the mark or may have run already, gathered
 * if it comes in fragments (§7), and otherwise becomes a new call, admitted
 * or refused with pushback (§8.1). At most once per (peer, session, id).
 */
export class RequestIntake {
  private readonly cache: DedupCache;
  private readonly requests: ReassemblyTable;
  private readonly admission: AdmissionQueue<CallEntry>;
  private readonly sources: SourceTable;
  private readonly replies: ReplySender;
  private readonly policy: DedupPolicy;
  private readonly hooks: ServerEngineHooks;
  private readonly counters: CallCounters;
  private readonly incarnation: Incarnation;
  private readonly drop: (reason: DropReason, from: PeerAddress) => void;
  private readonly drain: () => DrainState | undefined;
  /** How long an entry (and so lost state about it) stays relevant: max deadline + grace. */
  private readonly lifetimeMs: number;
  private readonly maxMetadataBytes: number;

  constructor(parts: IntakeParts) {
    this.maxMetadataBytes = parts.maxMetadataBytes;
    this.cache = parts.cache;
    this.requests = parts.requests;
    this.admission = parts.admission;
    this.sources = parts.sources;
    this.replies = parts.replies;
    this.policy = parts.policy;
    this.hooks = parts.hooks;
    this.counters = parts.counters;
    this.incarnation = parts.incarnation;
    this.drop = parts.drop;
    this.drain = parts.drain;
    this.lifetimeMs = parts.policy.maxDeadlineMs + parts.policy.graceMs;
  }

  /** A REQUEST frame from `source` (the state of `from`, looked up once for its datagram). */
  onRequest(frame: Frame, from: PeerAddress, source: SourceState, now: number, meta: DatagramMeta | undefined): void {
    source.peer = from;
    const session = this.sources.session(source, frame.session, now, this.lifetimeMs, this.orphan);
    if (frame.fragment === undefined && frame.body.length >= 8) {
      // Everything before the client's oldest call in flight is finished: forget it (protocol.md §6.3).
      // A span of 2^31 or more (0xFFFFFFFF: none given; the rest: invalid) says nothing.
      const span = bytesIO.readU32(frame.body, 4);
      if (span < MAX_VALID_SPAN) session.advance((frame.id - span) >>> 0, this.release);
    }
    session.noteId(frame.id);
    const known = this.cache.find(session, source.key, frame.session, frame.id);
    if (known !== undefined) return this.onDuplicate(known, frame, now);
    if (session.isStale(frame.id)) return this.onStale(frame, from, source, now);
    if (frame.fragment === undefined) return this.startCall(frame, frame.body, from, source, now, meta, session);
    // Fragments are reassembled under a string key; one datagram carries
    // ~1 KiB of the request, so its cost does not matter here.
    const key = callKeyOf(source.key, frame.session, frame.id);
    const ackRequested = (frame.flags & Flag.ACK_REQUESTED) !== 0;
    const result = this.requests.offer(key, source.key, FrameType.REQUEST, frame.fragment, frame.body, ackRequested, now);
    switch (result.status) {
      case 'refused':
        this.counters.reassemblyRefused++;
        return this.replies.sendError(
          frame,
          from,
          source,
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
          result.reason === 'message-too-large' ? undefined : this.incarnation.ackBody,
        );
      case 'mismatch':
        return this.drop('malformed', from);
      case 'duplicate':
        if (result.ackNow) this.replies.sendRequestAck(frame, from, source, now, result.reassembly.ack());
        return;
      case 'added':
        if (result.ackNow) this.replies.sendRequestAck(frame, from, source, now, result.reassembly.ack());
        return;
      case 'complete':
        this.replies.sendRequestAck(frame, from, source, now, result.reassembly.ack());
        return this.startCall(frame, result.body, from, source, now, meta, session);
    }
  }

  private startCall(
    frame: Frame,
    requestBody: Uint8Array,
    from: PeerAddress,
    source: SourceState,
    now: number,
    meta: DatagramMeta | undefined,
    owner: SessionState,
  ): void {
    const body = parseRequestBody(requestBody);
    if (typeof body === 'string') return this.drop(body, from);
    const { deadlineMs, method } = body;
    let payload = body.payload;
    if (deadlineMs === 0) return this.drop('expired', from);
    const noReply = (frame.flags & Flag.NO_REPLY) !== 0;
    let metadata: Metadata | undefined;
    if ((frame.flags & Flag.HAS_METADATA) !== 0) {
      // Step 5a of §6.2: before any refusal and before anything is kept (protocol.md §5.8).
      const split = splitMetadata(payload, this.maxMetadataBytes);
      if (split === 'too-large') return this.refuseMetadata(frame, payload, from, source, now, noReply);
      if (typeof split === 'string') return this.drop(split, from);
      metadata = split.metadata;
      payload = split.rest;
    }
    // The one registry lookup of this call.
    const target = this.hooks.resolve?.(method);
    const idempotent = target?.idempotent ?? false;
    const evicted = !idempotent && owner.mayHaveBeenEvicted(frame.id);
    const stateLost = frame.attempt > 0 && !idempotent && now - owner.source.lostStateAt < this.lifetimeMs;
    const restarted = frame.attempt > 0 && !idempotent && this.incarnation.mayPredate(body.incarnation, now);
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
      return this.replies.sendError(frame, from, source, now, 'ABORTED', message, 0, Flag.MAY_HAVE_RUN);
    }
    const drain = this.drain();
    if (drain !== undefined && !method.startsWith('udprpc.')) {
      // Draining: refused before anything ran or was kept, so the client
      // may send it elsewhere (protocol.md §5.8). Built-ins still answer.
      drain.refused++;
      if (noReply) return this.drop('going-away', from);
      return this.replies.sendError(frame, from, source, now, 'UNAVAILABLE', 'the server is going away', 0, Flag.REJECTED, this.incarnation.ackBody);
    }
    if (!this.admission.hasRoom) {
      // Refused before anything ran or was remembered: the client may send it again later.
      this.counters.rejected++;
      if (noReply) return this.drop('overloaded', from);
      const message = 'the server is at its concurrency limit; try again later';
      return this.replies.sendError(frame, from, source, now, 'RESOURCE_EXHAUSTED', message, this.admission.limits.retryAfterMs, Flag.REJECTED, this.incarnation.ackBody);
    }
    const clamped = deadlineMs === NO_DEADLINE || deadlineMs > this.policy.maxDeadlineMs;
    const entry = new CallEntry(
      this.cache,
      from,
      source,
      frame.session,
      frame.id,
      method,
      target,
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
    if (metadata !== undefined) {
      // Held until the call is answered, like the payload, and charged for what it retains.
      entry.metadata = metadata;
      entry.bytes += metadataRetainedBytes(metadata);
    }
    this.cache.add(entry);
    if (noReply) this.counters.notifications++;
    else this.counters.requests++;
    this.admission.submit(entry);
  }

  // Request metadata above this server's cap: refused before anything ran or
  // was kept, not REJECTED (the same call would be refused again) (protocol.md §5.8).
  private refuseMetadata(frame: Frame, payload: Uint8Array, from: PeerAddress, source: SourceState, now: number, noReply: boolean): void {
    if (noReply) return this.drop('oversize', from);
    const size = metadataBlockSize(payload, 0) as number;
    const message = `request metadata is ${size} bytes, above the server's ${this.maxMetadataBytes}-byte limit`;
    this.replies.sendError(frame, from, source, now, 'RESOURCE_EXHAUSTED', message, 0);
  }

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
        return this.replies.sendEmpty(frame, FrameType.ACK, entry.peer, entry.source, now, this.incarnation.ackBody);
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
  private onStale(frame: Frame, from: PeerAddress, source: SourceState, now: number): void {
    this.drop('duplicate', from);
    if (frame.attempt === 0 || (frame.flags & Flag.NO_REPLY) !== 0 || (frame.fragment !== undefined && frame.fragment.index !== 0)) return;
    this.counters.duplicatesRefused++;
    const message = "behind this session's low-water mark; start a new session";
    this.replies.sendError(frame, from, source, now, 'ABORTED', message, 0, Flag.MAY_HAVE_RUN | Flag.SESSION_STALE);
  }
}
