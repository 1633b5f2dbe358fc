import { countDrop, type DropCounts, type DropReason } from './drop-reason.js';
import { Code, type ErrorCode } from './errors.js';
import {
  decodeFrame,
  decodeRequestBody,
  encodeErrorBody,
  encodeFrame,
  Flag,
  FrameType,
  NO_DEADLINE,
  HEADER_BYTES,
  setAttempt,
  type Frame,
  type FrameHeader,
} from './frame.js';
import { decodeFragmentAck, encodeFragmentAck, type FragmentAck } from './fragment-ack.js';
import { ACK_REQUESTED, fragmentBytesFor, OutgoingTransfer, STALLED, windowFor } from './outgoing-transfer.js';
import { defaultReassemblyLimits, ReassemblyTable, type ReassemblyLimits } from './reassembly.js';
import { defaultDedupPolicy, defaultSizes, type DedupPolicy } from './retry-policy.js';
import { TimerHeap, type Timed } from './timer-heap.js';
import { peerKey, type DatagramMeta, type PeerAddress } from './transport.js';

/** A request the server should run. `key` names it in later engine calls. */
export interface IncomingCall {
  readonly key: string;
  readonly peer: PeerAddress;
  readonly session: number;
  readonly id: number;
  readonly method: string;
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
  /** A new call arrived: run its handler, then call `respond` with its key. */
  onCall(call: IncomingCall): void;
  /** The call's deadline passed or the client cancelled it: abort its handler. */
  onAbort?(key: string, reason: 'deadline' | 'cancelled'): void;
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
  /** Retransmissions refused because the reply had been evicted (see protocol.md §6.3). */
  duplicatesRefused: number;
  cancelled: number;
  deadlineAborts: number;
  running: number;
  cacheEntries: number;
  cacheBytes: number;
  cacheEvictions: number;
  /** Requests refused because reassembly limits were reached. */
  reassemblyRefused: number;
  /** Unfinished fragmented requests discarded after the idle timeout. */
  reassemblyExpired: number;
  reassemblyBytes: number;
  drops: DropCounts;
}

const enum State {
  Running,
  Done,
  Cancelled,
}

interface Entry extends Timed {
  readonly key: string;
  readonly peer: PeerAddress;
  readonly session: number;
  readonly id: number;
  readonly deadlineAt: number;
  readonly noReply: boolean;
  readonly idempotent: boolean;
  /** The client's deadline was beyond `maxDeadlineMs`: it will still be waiting when ours passes. */
  readonly clamped: boolean;
  state: State;
  /** Latest attempt number seen; replies echo it. */
  attempt: number;
  reply: Uint8Array | undefined;
  /** The reply's fragments, when it does not fit in one datagram. */
  transfer: OutgoingTransfer | undefined;
  bytes: number;
}

/** Bookkeeping bytes charged per cache entry on top of its reply. */
const ENTRY_OVERHEAD_BYTES = 160;

/**
 * The server half of the protocol, free of I/O. It turns requests into
 * `onCall`s at most once per (peer, session, id) — a retransmission of a
 * running call is answered with ACK, one of a finished call with the cached
 * reply — and keeps each entry for as long as the client may still
 * retransmit (protocol.md §6).
 */
export class ServerEngine {
  private readonly entries = new Map<string, Entry>();
  /** Finished entries in completion order: the eviction order under the byte cap. */
  private readonly done = new Set<Entry>();
  private readonly timers = new TimerHeap<Entry>();
  private readonly policy: DedupPolicy;
  private readonly send: (bytes: Uint8Array, to: PeerAddress) => void;
  private readonly hooks: ServerEngineHooks;
  readonly maxDatagramBytes: number;
  private readonly requests: ReassemblyTable;
  private readonly fragmentBytes: number;
  private cacheBytes = 0;
  /** When the byte cap last evicted a reply that forbids re-execution. */
  private lastEvictionAt = -Infinity;
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
    cacheEvictions: 0,
    reassemblyRefused: 0,
  };
  private readonly drops: DropCounts = {};

  constructor(options: ServerEngineOptions) {
    this.send = options.send;
    this.hooks = options.hooks;
    this.policy = { ...defaultDedupPolicy, ...options.dedup };
    this.maxDatagramBytes = options.maxDatagramBytes ?? defaultSizes.maxDatagramBytes;
    this.requests = new ReassemblyTable({ ...defaultReassemblyLimits, ...options.reassembly });
    this.fragmentBytes = fragmentBytesFor(this.maxDatagramBytes);
  }

  /** Feeds one received datagram. Never throws (unless a hook does). */
  receive(bytes: Uint8Array, from: PeerAddress, now: number, meta?: DatagramMeta): void {
    const decoded = decodeFrame(bytes);
    if (!decoded.ok) return this.drop(decoded.error, from);
    const frame = decoded.value;
    switch (frame.type) {
      case FrameType.REQUEST:
        return this.onRequest(frame, from, now, meta);
      case FrameType.CANCEL:
        return this.onCancel(frame, from, now);
      case FrameType.FRAGMENT_ACK:
        return this.onFragmentAck(frame, from, now);
      case FrameType.PING:
        return this.send(encodeFrame({ ...headerOf(frame), type: FrameType.PONG }, new Uint8Array(0)), from);
      default:
        return this.drop('unexpected-frame', from);
    }
  }

  /**
   * Delivers a handler's outcome for the call named `key`. Ignored when the
   * call was cancelled or is unknown.
   */
  respond(key: string, outcome: HandlerOutcome, now: number): void {
    const entry = this.entries.get(key);
    if (entry === undefined || entry.state !== State.Running) return;
    if (entry.noReply) return this.complete(entry, undefined, now);
    if (outcome.ok) this.counters.responses++;
    else this.counters.errors++;
    let type: FrameType = outcome.ok ? FrameType.RESPONSE : FrameType.ERROR;
    let body = replyBody(outcome);
    if (body.length > this.requests.limits.maxMessageBytes) {
      type = FrameType.ERROR;
      body = replyBody({
        ok: false,
        code: 'RESOURCE_EXHAUSTED',
        message: `reply is ${body.length} bytes, above the server's ${this.requests.limits.maxMessageBytes}-byte message limit`,
      });
    }
    const header: FrameHeader = { type, flags: 0, attempt: entry.attempt, session: entry.session, id: entry.id };
    if (HEADER_BYTES + body.length <= this.maxDatagramBytes) {
      const reply = encodeFrame(header, body);
      this.send(reply, entry.peer);
      return this.complete(entry, reply, now);
    }
    entry.transfer = new OutgoingTransfer(type, body, this.fragmentBytes, windowFor(this.fragmentBytes));
    this.sendReplyFragments(entry, entry.transfer.nextToSend(now));
    this.complete(entry, undefined, now);
  }

  private sendReplyFragments(entry: Entry, indexes: number[]): void {
    const header: FrameHeader = { type: FrameType.RESPONSE, flags: 0, attempt: entry.attempt, session: entry.session, id: entry.id };
    for (let i = 0; i < indexes.length; i++) {
      this.send(entry.transfer!.frame(header, indexes[i]!, i === indexes.length - 1), entry.peer);
    }
  }

  // A client acknowledges fragments of our reply (or asks for the missing ones).
  private onFragmentAck(frame: Frame, from: PeerAddress, now: number): void {
    const entry = this.entries.get(`${peerKey(from)}|${frame.session}|${frame.id}`);
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
      this.cacheBytes -= transfer.body.length;
      entry.bytes -= transfer.body.length;
      return;
    }
    const stalled = (frame.flags & STALLED) !== 0;
    this.sendReplyFragments(entry, stalled ? transfer.onTimeout(now) : transfer.nextToSend(now));
  }

  /** Expires cache entries and fires handler deadlines due at `now`. */
  onTimer(now: number): void {
    this.requests.expire(now);
    for (let entry = this.timers.popDue(now); entry !== undefined; entry = this.timers.popDue(now)) {
      if (entry.state === State.Running) {
        // Deadline reached with the handler still running: tell it to stop.
        this.counters.deadlineAborts++;
        this.hooks.onAbort?.(entry.key, 'deadline');
        if (entry.clamped) {
          // The client waits longer than we allow: answer, so it stops asking.
          this.respond(entry.key, { ok: false, code: 'DEADLINE_EXCEEDED', message: `the server allows at most ${this.policy.maxDeadlineMs} ms per call` }, now);
        } else {
          // Keep the entry so retransmissions still cannot run it again.
          this.timers.set(entry, this.expiryOf(entry, now));
          entry.state = State.Cancelled;
        }
      } else {
        this.forget(entry);
      }
    }
  }

  /** When `onTimer` next needs to run, or undefined. */
  nextTimerAt(): number | undefined {
    const a = this.timers.peek()?.timerAt;
    const b = this.requests.nextTimerAt();
    return a === undefined ? b : b === undefined ? a : Math.min(a, b);
  }

  /** A snapshot of the counters. */
  stats(): ServerEngineStats {
    let running = 0;
    for (const e of this.entries.values()) if (e.state === State.Running) running++;
    return {
      ...this.counters,
      running,
      cacheEntries: this.entries.size,
      cacheBytes: this.cacheBytes,
      reassemblyExpired: this.requests.expired,
      reassemblyBytes: this.requests.bytes,
      drops: { ...this.drops },
    };
  }

  private onRequest(frame: Frame, from: PeerAddress, now: number, meta: DatagramMeta | undefined): void {
    const key = `${peerKey(from)}|${frame.session}|${frame.id}`;
    const known = this.entries.get(key);
    if (known !== undefined) return this.onDuplicate(known, frame, now);
    if (frame.fragment === undefined) return this.startCall(key, frame, frame.body, from, now, meta);
    const f = frame.fragment;
    const result = this.requests.offer(key, peerKey(from), FrameType.REQUEST, f, frame.body, (frame.flags & ACK_REQUESTED) !== 0, now);
    switch (result.status) {
      case 'refused':
        this.counters.reassemblyRefused++;
        return this.sendError(
          frame,
          from,
          'RESOURCE_EXHAUSTED',
          result.reason === 'message-too-large'
            ? `request is ${result.totalBytes} bytes, above the server's ${this.requests.limits.maxMessageBytes}-byte message limit`
            : 'the server is reassembling too many large requests; try again later',
        );
      case 'mismatch':
        return this.drop('malformed', from);
      case 'duplicate':
        if (result.ackNow) this.sendRequestAck(frame, from, result.reassembly.ack());
        return;
      case 'added':
        if (result.ackNow) this.sendRequestAck(frame, from, result.reassembly.ack());
        return;
      case 'complete':
        this.sendRequestAck(frame, from, result.reassembly.ack());
        return this.startCall(key, frame, result.body, from, now, meta);
    }
  }

  private sendRequestAck(frame: Frame, to: PeerAddress, ack: FragmentAck): void {
    this.send(
      encodeFrame({ ...headerOf(frame), type: FrameType.FRAGMENT_ACK }, encodeFragmentAck(ack, this.maxDatagramBytes - HEADER_BYTES)),
      to,
    );
  }

  private startCall(
    key: string,
    frame: Frame,
    requestBody: Uint8Array,
    from: PeerAddress,
    now: number,
    meta: DatagramMeta | undefined,
  ): void {
    const body = decodeRequestBody(requestBody);
    if (!body.ok) return this.drop(body.error, from);
    const { deadlineMs, method, payload } = body.value;
    if (deadlineMs === 0) return this.drop('expired', from);
    const noReply = (frame.flags & Flag.NO_REPLY) !== 0;
    const idempotent = this.hooks.isIdempotent?.(method) ?? false;
    if (frame.attempt > 0 && !idempotent && !noReply && now - this.lastEvictionAt < this.policy.maxDeadlineMs + this.policy.graceMs) {
      // A retransmission we have no entry for: either its first copy was lost
      // (never ran) or the byte cap evicted its reply (did run). Since the cap
      // evicted recently we cannot tell, so refuse rather than risk a second
      // execution (protocol.md §6.3).
      this.counters.duplicatesRefused++;
      this.sendError(frame, from, 'ABORTED', 'the server could not tell whether this call already ran (its reply cache was full); not running it again');
      return;
    }
    const clamped = deadlineMs === NO_DEADLINE || deadlineMs > this.policy.maxDeadlineMs;
    const budgetMs = clamped ? this.policy.maxDeadlineMs : deadlineMs;
    const entry: Entry = {
      key,
      peer: from,
      session: frame.session,
      id: frame.id,
      deadlineAt: now + budgetMs,
      noReply,
      idempotent,
      clamped,
      state: State.Running,
      attempt: frame.attempt,
      reply: undefined,
      transfer: undefined,
      bytes: ENTRY_OVERHEAD_BYTES,
      timerAt: 0,
      heapIndex: -1,
    };
    this.entries.set(key, entry);
    this.cacheBytes += entry.bytes;
    this.timers.set(entry, entry.deadlineAt);
    if (noReply) this.counters.notifications++;
    else this.counters.requests++;
    this.hooks.onCall({
      key,
      peer: from,
      session: frame.session,
      id: frame.id,
      method,
      payload,
      deadlineAt: entry.deadlineAt,
      noReply,
      authenticatedAs: meta?.authenticatedAs,
    });
  }

  private onDuplicate(entry: Entry, frame: Frame, now: number): void {
    if (frame.attempt > entry.attempt) entry.attempt = frame.attempt;
    // The client is still asking: keep the entry at least one grace period more.
    if (entry.state !== State.Running) this.timers.set(entry, Math.max(entry.timerAt, now + this.policy.graceMs));
    // A stray copy of a request fragment is not a retransmission; only a
    // flagged one (the sender's probe) asks for a reply.
    if (frame.fragment !== undefined && (frame.flags & ACK_REQUESTED) === 0) return this.drop('duplicate', entry.peer);
    if (entry.noReply) return this.drop('duplicate', entry.peer);
    switch (entry.state) {
      case State.Running:
        this.counters.duplicatesInProgress++;
        this.send(encodeFrame({ ...headerOf(frame), type: FrameType.ACK, flags: 0 }, new Uint8Array(0)), entry.peer);
        return;
      case State.Done: {
        this.counters.duplicatesReplayed++;
        if (entry.transfer !== undefined) {
          // Resend only the fragments of the reply not known to have arrived.
          this.sendReplyFragments(entry, entry.transfer.onTimeout(now));
        } else if (entry.reply !== undefined) {
          const reply = entry.reply.slice();
          setAttempt(reply, frame.attempt);
          this.send(reply, entry.peer);
        }
        // Touch: a call still being retried stays in the cache.
        this.done.delete(entry);
        this.done.add(entry);
        return;
      }
      case State.Cancelled:
        return this.drop('cancelled-call', entry.peer);
    }
  }

  private onCancel(frame: Frame, from: PeerAddress, now: number): void {
    const entry = this.entries.get(`${peerKey(from)}|${frame.session}|${frame.id}`);
    if (entry === undefined || entry.state !== State.Running) return;
    entry.state = State.Cancelled;
    // Kept (without a reply) until it expires, so that a retransmission still
    // in the network cannot start the handler again.
    this.timers.set(entry, this.expiryOf(entry, now));
    this.counters.cancelled++;
    this.hooks.onAbort?.(entry.key, 'cancelled');
  }

  private complete(entry: Entry, reply: Uint8Array | undefined, now: number): void {
    if (entry.idempotent && entry.transfer === undefined && reply !== undefined) {
      // Idempotent methods may run again, so their replies are not cached.
      return this.forget(entry);
    }
    entry.state = State.Done;
    entry.reply = reply;
    const size = reply?.length ?? entry.transfer?.body.length ?? 0;
    entry.bytes += size;
    this.cacheBytes += size;
    this.done.add(entry);
    this.timers.set(entry, this.expiryOf(entry, now));
    this.enforceCap(now);
  }

  private expiryOf(entry: Entry, now: number): number {
    // Notifications are never retransmitted: only network duplicates can follow.
    if (entry.noReply) return now + this.policy.graceMs;
    return Math.max(now, entry.deadlineAt) + this.policy.graceMs;
  }

  private enforceCap(now: number): void {
    for (const victim of this.done) {
      if (this.cacheBytes <= this.policy.maxBytes) break;
      this.counters.cacheEvictions++;
      this.lastEvictionAt = now;
      this.forget(victim);
    }
  }

  private forget(entry: Entry): void {
    this.entries.delete(entry.key);
    this.done.delete(entry);
    this.timers.delete(entry);
    this.cacheBytes -= entry.bytes;
  }

  private sendError(frame: Frame, to: PeerAddress, code: ErrorCode, message: string): void {
    this.counters.errors++;
    this.send(
      encodeFrame({ ...headerOf(frame), type: FrameType.ERROR, flags: 0 }, encodeErrorBody({ code: Code[code], retryAfterMs: 0, message })),
      to,
    );
  }

  private drop(reason: DropReason, from: PeerAddress): void {
    countDrop(this.drops, reason);
    this.hooks.onDrop?.(reason, from);
  }
}

function replyBody(outcome: HandlerOutcome): Uint8Array {
  if (outcome.ok) return outcome.payload;
  return encodeErrorBody({
    code: Code[outcome.code],
    retryAfterMs: outcome.retryAfterMs ?? 0,
    message: outcome.message,
    ...(outcome.details === undefined ? {} : { details: outcome.details }),
  });
}

function headerOf(frame: Frame): FrameHeader {
  return { type: frame.type, flags: 0, attempt: frame.attempt, session: frame.session, id: frame.id };
}
