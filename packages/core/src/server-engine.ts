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
  setAttempt,
  type Frame,
  type FrameHeader,
} from './frame.js';
import { defaultDedupPolicy, defaultSizes, type DedupPolicy } from './retry-policy.js';
import { TimerHeap, type Timed } from './timer-heap.js';
import { peerKey, type PeerAddress } from './transport.js';

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
  state: State;
  /** Latest attempt number seen; replies echo it. */
  attempt: number;
  reply: Uint8Array | undefined;
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
  };
  private readonly drops: DropCounts = {};

  constructor(options: ServerEngineOptions) {
    this.send = options.send;
    this.hooks = options.hooks;
    this.policy = { ...defaultDedupPolicy, ...options.dedup };
    this.maxDatagramBytes = options.maxDatagramBytes ?? defaultSizes.maxDatagramBytes;
  }

  /** Feeds one received datagram. Never throws (unless a hook does). */
  receive(bytes: Uint8Array, from: PeerAddress, now: number): void {
    const decoded = decodeFrame(bytes);
    if (!decoded.ok) return this.drop(decoded.error, from);
    const frame = decoded.value;
    switch (frame.type) {
      case FrameType.REQUEST:
        return this.onRequest(frame, from, now);
      case FrameType.CANCEL:
        return this.onCancel(frame, from, now);
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
    let reply = this.encodeReply(entry, outcome);
    if (reply.length > this.maxDatagramBytes) {
      reply = this.encodeReply(entry, {
        ok: false,
        code: 'RESOURCE_EXHAUSTED',
        message: `reply is ${reply.length} bytes, above the server's ${this.maxDatagramBytes}-byte datagram limit`,
      });
    }
    if (reply[3] === FrameType.RESPONSE) this.counters.responses++;
    else this.counters.errors++;
    this.send(reply, entry.peer);
    this.complete(entry, reply, now);
  }

  /** Expires cache entries and fires handler deadlines due at `now`. */
  onTimer(now: number): void {
    for (let entry = this.timers.popDue(now); entry !== undefined; entry = this.timers.popDue(now)) {
      if (entry.state === State.Running) {
        // Deadline reached with the handler still running: tell it to stop,
        // but keep the entry so retransmissions still cannot run it again.
        this.counters.deadlineAborts++;
        this.hooks.onAbort?.(entry.key, 'deadline');
        this.timers.set(entry, this.expiryOf(entry, now));
        entry.state = State.Cancelled;
      } else {
        this.forget(entry);
      }
    }
  }

  /** When `onTimer` next needs to run, or undefined. */
  nextTimerAt(): number | undefined {
    return this.timers.peek()?.timerAt;
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
      drops: { ...this.drops },
    };
  }

  private onRequest(frame: Frame, from: PeerAddress, now: number): void {
    if (frame.fragment !== undefined) return this.drop('malformed', from);
    const key = `${peerKey(from)}|${frame.session}|${frame.id}`;
    const known = this.entries.get(key);
    if (known !== undefined) return this.onDuplicate(known, frame);
    const body = decodeRequestBody(frame.body);
    if (!body.ok) return this.drop(body.error, from);
    const { deadlineMs, method, payload } = body.value;
    if (deadlineMs === 0) return this.drop('expired', from);
    const noReply = (frame.flags & Flag.NO_REPLY) !== 0;
    const idempotent = this.hooks.isIdempotent?.(method) ?? false;
    if (frame.attempt > 0 && !idempotent && now - this.lastEvictionAt < this.policy.maxDeadlineMs + this.policy.graceMs) {
      // A retransmission we have no entry for: either its first copy was lost
      // (never ran) or the byte cap evicted its reply (did run). Since the cap
      // evicted recently we cannot tell, so refuse rather than risk a second
      // execution (protocol.md §6.3).
      this.counters.duplicatesRefused++;
      this.sendError(frame, from, 'ABORTED', 'the server could not tell whether this call already ran (its reply cache was full); not running it again');
      return;
    }
    const budgetMs = deadlineMs === NO_DEADLINE ? this.policy.maxDeadlineMs : Math.min(deadlineMs, this.policy.maxDeadlineMs);
    const entry: Entry = {
      key,
      peer: from,
      session: frame.session,
      id: frame.id,
      deadlineAt: now + budgetMs,
      noReply,
      idempotent,
      state: State.Running,
      attempt: frame.attempt,
      reply: undefined,
      bytes: ENTRY_OVERHEAD_BYTES,
      timerAt: 0,
      heapIndex: -1,
    };
    this.entries.set(key, entry);
    this.cacheBytes += entry.bytes;
    this.timers.set(entry, entry.deadlineAt);
    if (noReply) this.counters.notifications++;
    else this.counters.requests++;
    this.hooks.onCall({ key, peer: from, session: frame.session, id: frame.id, method, payload, deadlineAt: entry.deadlineAt, noReply });
  }

  private onDuplicate(entry: Entry, frame: Frame): void {
    if (frame.attempt > entry.attempt) entry.attempt = frame.attempt;
    if (entry.noReply) return this.drop('cancelled-call', entry.peer);
    switch (entry.state) {
      case State.Running:
        this.counters.duplicatesInProgress++;
        this.send(encodeFrame({ ...headerOf(frame), type: FrameType.ACK, flags: 0 }, new Uint8Array(0)), entry.peer);
        return;
      case State.Done: {
        this.counters.duplicatesReplayed++;
        const reply = entry.reply!.slice();
        setAttempt(reply, frame.attempt);
        this.send(reply, entry.peer);
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
    if (reply !== undefined && entry.idempotent) {
      // Idempotent methods may run again, so their replies are not cached.
      return this.forget(entry);
    }
    entry.state = State.Done;
    entry.reply = reply;
    const size = reply?.length ?? 0;
    entry.bytes += size;
    this.cacheBytes += size;
    this.done.add(entry);
    this.timers.set(entry, this.expiryOf(entry, now));
    this.enforceCap(now);
  }

  private expiryOf(entry: Entry, now: number): number {
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

  private encodeReply(entry: Entry, outcome: HandlerOutcome): Uint8Array {
    const header: FrameHeader = { type: FrameType.RESPONSE, flags: 0, attempt: entry.attempt, session: entry.session, id: entry.id };
    if (outcome.ok) return encodeFrame(header, outcome.payload);
    return encodeFrame(
      { ...header, type: FrameType.ERROR },
      encodeErrorBody({
        code: Code[outcome.code],
        retryAfterMs: outcome.retryAfterMs ?? 0,
        message: outcome.message,
        ...(outcome.details === undefined ? {} : { details: outcome.details }),
      }),
    );
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

function headerOf(frame: Frame): FrameHeader {
  return { type: frame.type, flags: 0, attempt: frame.attempt, session: frame.session, id: frame.id };
}
