import { ReplyPaths } from './reply-paths.js';
import { parsePmtuProbe } from '../wire/pmtu-probe.js';
import { AmplificationGate } from '../flowcontrol/amplification-gate.js';
import { CallEntry, CallState } from './call-entry.js';
import { DedupCache } from './dedup-cache.js';
import { countDrop, type DropCounts, type DropReason } from '../wire/drop-reason.js';
import { decodeFragmentAck } from '../wire/fragment-ack.js';
import { Flag, parseFrame, FrameType, splitBatch, type Frame } from '../wire/frame.js';
import { defaultReassemblyLimits, ReassemblyTable } from '../recovery/reassembly.js';
import { ReplySender } from './reply-sender.js';
import { defaultDedupPolicy, defaultSizes, type DedupPolicy } from '../recovery/retry-policy.js';
import { AdmissionQueue, defaultAdmissionLimits } from '../flowcontrol/admission-queue.js';
import { defaultSourceLimits, SourceTable, type SourceState } from './source-table.js';
import { Incarnation } from './incarnation.js';
import { RequestIntake } from './request-intake.js';
import { DEFAULT_MAX_METADATA_BYTES } from '../wire/metadata.js';
import { snapshotStats, zeroCallCounters } from './server-stats.js';
import { DrainState, sendGoAways } from './drain-state.js';
import { checkServerEngineOptions } from './server-options-check.js';
import { peerKey, type DatagramMeta, type PeerAddress } from '../transport/transport.js';
import type {
  HandlerOutcome,
  IncomingCall,
  MethodTarget,
  ServerEngineHooks,
  ServerEngineOptions,
  ServerEngineStats,
} from './server-engine-types.js';

/**
 * An entry as the call the hooks get: its `target` is what `hooks.resolve`
 * returned, so it is a `T` (the entry's own type only says MethodTarget).
 */
function asCall<T extends MethodTarget>(entry: CallEntry): IncomingCall<T> {
  return entry as IncomingCall as IncomingCall<T>;
}

/** A running handler to abort, waiting for {@link ServerEngine.deliver}. */
interface AbortNote {
  readonly call: CallEntry;
  readonly reason: 'deadline' | 'cancelled';
}

export type { HandlerOutcome, IncomingCall, MethodTarget, ServerEngineHooks, ServerEngineOptions, ServerEngineStats } from './server-engine-types.js';

/**
 * The server half of the protocol, free of I/O. It turns requests into
 * `onCall`s at most once per (peer, session, id) — a retransmission of a
 * running call is answered with ACK, one of a finished call with the cached
 * reply — keeps each entry for as long as the client may still retransmit
 * (protocol.md §6), bounds concurrency (§8.1), rate-limits sources and never
 * sends an unvalidated address more than 3× what it sent (§8.2–8.3).
 *
 * This class is the dispatcher of received frames; a REQUEST's path is the
 * `RequestIntake`'s, what goes back to the client is the `ReplySender`'s,
 * and every datagram out passes the `AmplificationGate`.
 */
export class ServerEngine<T extends MethodTarget = MethodTarget> {
  private readonly cache: DedupCache;
  private readonly requests: ReassemblyTable;
  private readonly admission: AdmissionQueue<CallEntry>;
  private readonly sources: SourceTable;
  private readonly gate: AmplificationGate;
  private readonly replies: ReplySender;
  /** Each client's path size for its reply fragments (protocol.md §7.5). */
  private readonly paths: ReplyPaths;
  private readonly intake: RequestIntake;
  private readonly policy: DedupPolicy;
  private readonly hooks: ServerEngineHooks<T>;
  private readonly restart: Incarnation;
  /** Largest datagram this engine sends. */
  readonly maxDatagramBytes: number;
  private readonly counters = zeroCallCounters();
  /**
   * What {@link deliver} hands to the hooks, in the order the engine decided
   * it: a call to start (its entry) or a handler to abort.
   */
  private readonly work: (CallEntry | AbortNote)[] = [];
  private workHead = 0;
  private readonly drops: DropCounts = {};
  /** Set by {@link goAway}: new calls are refused, and the host hears when to close (protocol.md §5.9). */
  private drain: DrainState | undefined;

  constructor(options: ServerEngineOptions<T>) {
    checkServerEngineOptions(options);
    this.hooks = options.hooks;
    this.policy = { ...defaultDedupPolicy, ...options.dedup };
    const lifetimeMs = this.policy.maxDeadlineMs + this.policy.graceMs;
    this.restart = new Incarnation(options.random ?? Math.random, options.startedAt, options.startupGraceMs ?? lifetimeMs);
    this.cache = new DedupCache(this.policy, (entry) => entry.owner.noteEvicted(entry.id));
    this.maxDatagramBytes = options.maxDatagramBytes ?? defaultSizes.maxDatagramBytes;
    this.requests = new ReassemblyTable({ ...defaultReassemblyLimits, ...options.reassembly });
    this.admission = new AdmissionQueue<CallEntry>({ ...defaultAdmissionLimits, ...options.admission }, (entry) => {
      if (entry.state !== CallState.Queued) return false;
      entry.state = CallState.Running;
      // Its handler starts in deliver(), after this engine call: never inside it.
      this.work.push(entry);
      return true;
    });
    const sourceLimits = {
      ...defaultSourceLimits,
      ...(options.validator === undefined ? { amplificationFactor: Infinity } : {}),
      ...options.sources,
    };
    this.sources = new SourceTable(
      sourceLimits,
      lifetimeMs,
      // A forgotten source takes its sessions along; their calls stay findable.
      (source) => {
        for (const session of source.sessions.values()) this.cache.orphan(session);
      },
    );
    this.gate = new AmplificationGate(options.send, this.sources, options.validator, sourceLimits.amplificationFactor, this.maxDatagramBytes);
    this.paths = new ReplyPaths(this.sources, this.maxDatagramBytes, options.pmtu?.maxDatagramBytesFor);
    this.replies = new ReplySender(this.cache, this.gate, this.maxDatagramBytes, this.requests.limits.maxMessageBytes, this.paths);
    this.intake = new RequestIntake({
      cache: this.cache,
      requests: this.requests,
      admission: this.admission,
      sources: this.sources,
      replies: this.replies,
      policy: this.policy,
      hooks: this.hooks,
      counters: this.counters,
      incarnation: this.restart,
      drop: (reason, from) => this.drop(reason, from),
      drain: () => this.drain,
      maxMetadataBytes: options.maxMetadataBytes ?? DEFAULT_MAX_METADATA_BYTES,
    });
  }

  /**
   * This server's incarnation: random, non-zero, drawn at start. ACKs carry
   * it, and a retransmission that may predate it is refused (protocol.md §6.3).
   */
  get incarnation(): number {
    return this.restart.value;
  }

  /** Feeds one received datagram. Never throws (unless a hook does). */
  receive(bytes: Uint8Array, from: PeerAddress, now: number, meta?: DatagramMeta): void {
    this.restart.noteDatagram(now);
    // The peer's key is built and its state looked up once per datagram;
    // every frame inside and every answer to them uses that state.
    const source = this.sources.get(peerKey(from), now);
    if (!this.sources.admit(source, now)) return this.drop('rate-limited', from);
    const decoded = parseFrame(bytes);
    this.gate.received(source, decoded, bytes.length, now);
    if (typeof decoded === 'string') return this.drop(decoded, from);
    if (decoded.type !== FrameType.BATCH) return this.handle(decoded, from, source, now, meta);
    const frames = splitBatch(decoded.body);
    if (!frames.ok) return this.drop(frames.error, from);
    for (const bytesOfOne of frames.value) {
      const one = parseFrame(bytesOfOne);
      if (typeof one !== 'string') this.handle(one, from, source, now, meta);
      else this.drop(one, from);
    }
  }

  private handle(frame: Frame, from: PeerAddress, source: SourceState, now: number, meta: DatagramMeta | undefined): void {
    switch (frame.type) {
      case FrameType.REQUEST:
        return this.intake.onRequest(frame, from, source, now, meta);
      case FrameType.CANCEL:
        return this.onCancel(frame, source, now);
      case FrameType.FRAGMENT_ACK:
        return this.onFragmentAck(frame, from, source, now);
      case FrameType.VALIDATE_ECHO:
        return this.onValidateEcho(frame, from, source, now);
      case FrameType.PING: {
        // A path MTU probe (§7.5) is answered at its own size; a plain PING empty.
        const probe = parsePmtuProbe(frame);
        if (probe === undefined) return this.replies.sendEmpty(frame, FrameType.PONG, from, source, now);
        this.paths.onProbe(probe, from, source.key, now);
        return this.replies.sendProbeReply(frame, probe.probeBytes, from, source, now);
      }
      default:
        return this.drop('unexpected-frame', from);
    }
  }

  /**
   * Hands the calls this engine started and the aborts it decided since the
   * last delivery to `hooks.onCall` and `hooks.onAbort`, in order. The host
   * calls it after each engine call, outside it: no hook runs inside
   * `receive`, `respond` or `onTimer`. A hook may answer at once through
   * {@link respond}; the calls that frees a slot for join this loop.
   */
  deliver(): void {
    const work = this.work;
    while (this.workHead < work.length) {
      const item = work[this.workHead++]!;
      if (!(item instanceof CallEntry)) {
        // Only a handler still holding its slot is running: one skipped below,
        // or one that has answered already, has nothing to abort.
        if (item.call.holdsSlot) this.hooks.onAbort?.(asCall<T>(item.call), item.reason);
      } else if (item.state === CallState.Running) {
        this.hooks.onCall(asCall<T>(item));
      } else {
        // Cancelled before its handler started (a REQUEST and its CANCEL in
        // one BATCH): it never runs, and its slot goes to the next call.
        this.admission.release(item);
      }
    }
    work.length = 0;
    this.workHead = 0;
  }

  /**
   * Delivers a handler's outcome for `call`. Frees its handler slot; the reply
   * is dropped when the call was cancelled or forgotten (or is not this engine's).
   */
  respond(call: IncomingCall, outcome: HandlerOutcome, now: number): void {
    if (outcome.ok) return this.respondOk(call, outcome.payload, now, outcome.metadata);
    if (!(call instanceof CallEntry) || call.cache !== this.cache) return;
    if (call.state === CallState.Running) this.replies.replyError(call, outcome, now);
    this.admission.release(call);
    this.drain?.update(this.idle, now);
  }

  /** {@link respond} with a successful result, without an outcome object; `metadata` is an encoded reply metadata block. */
  respondOk(call: IncomingCall, payload: Uint8Array, now: number, metadata?: Uint8Array): void {
    if (!(call instanceof CallEntry) || call.cache !== this.cache) return;
    if (call.state === CallState.Running) this.replies.reply(call, FrameType.RESPONSE, payload, now, metadata);
    this.admission.release(call);
    this.drain?.update(this.idle, now);
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
        this.work.push({ call: entry, reason: 'deadline' });
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
    const drain = this.drain;
    if (drain !== undefined && !drain.ended) {
      drain.update(this.idle, now);
      if (now >= drain.endsAt) {
        drain.ended = true;
        this.hooks.onDrained?.();
      }
    }
  }

  /**
   * Starts a graceful drain (protocol.md §5.9): sends a GOAWAY to every
   * source that sent a REQUEST within the entry lifetime, once each, and
   * from now on refuses every new call (except the built-in `udprpc.`
   * methods) with UNAVAILABLE + REJECTED. Calls already admitted run on;
   * retransmissions are answered as before. `onDrained` fires once no
   * handler has run for `lingerMs`, or at `now + graceMs` at the latest.
   * A second call does nothing. Returns the number of GOAWAYs sent.
   */
  goAway(now: number, graceMs: number, lingerMs: number): number {
    if (this.drain !== undefined) return 0;
    const drain = (this.drain = new DrainState(now, now + Math.max(0, graceMs), Math.max(0, lingerMs)));
    drain.goAways = sendGoAways(this.sources, this.gate, now, this.policy.maxDeadlineMs + this.policy.graceMs, graceMs, this.incarnation);
    drain.update(this.idle, now);
    return drain.goAways;
  }

  /** Whether {@link goAway} was called. */
  get draining(): boolean {
    return this.drain !== undefined;
  }

  // No handler running or queued.
  private get idle(): boolean {
    return this.admission.running === 0 && this.admission.queued === 0;
  }

  /** When `onTimer` next needs to run, or undefined. */
  nextTimerAt(): number | undefined {
    const at = Math.min(
      this.cache.nextTimerAt() ?? Infinity,
      this.requests.nextTimerAt() ?? Infinity,
      this.replies.nextTimerAt() ?? Infinity,
      this.admission.nextTimerAt() ?? Infinity,
      this.drain === undefined || this.drain.ended ? Infinity : this.drain.endsAt,
    );
    return at === Infinity ? undefined : at;
  }

  /** A snapshot of the counters. */
  stats(): ServerEngineStats {
    const { counters, drops, cache, requests, admission, sources, gate, replies, drain, paths } = this;
    return snapshotStats({ counters, drops, cache, requests, admission, sources, gate, replies, drain, paths });
  }

  private onCancel(frame: Frame, source: SourceState, now: number): void {
    const entry = this.lookup(frame, source);
    if (entry === undefined || (entry.state !== CallState.Running && entry.state !== CallState.Queued)) return;
    const wasRunning = entry.state === CallState.Running;
    // Kept (without a reply) until it expires, so that a retransmission still
    // in the network cannot start the handler again.
    this.admission.withdraw(entry);
    this.cache.cancel(entry, now);
    this.counters.cancelled++;
    if (wasRunning) {
      this.work.push({ call: entry, reason: 'cancelled' });
      this.admission.reclaimAt(entry, entry.deadlineAt + this.admission.limits.overrunGraceMs);
    }
  }

  // The entry a frame other than a REQUEST is about; unlike a request, it
  // neither creates nor refreshes the session.
  private lookup(frame: Frame, source: SourceState): CallEntry | undefined {
    return this.cache.find(source.sessions.get(frame.session), source.key, frame.session, frame.id);
  }

  private onFragmentAck(frame: Frame, from: PeerAddress, source: SourceState, now: number): void {
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

  private onValidateEcho(frame: Frame, from: PeerAddress, source: SourceState, now: number): void {
    if (!this.gate.validate(frame.body, source, frame.session, now)) return this.drop('bad-token', from);
    // Send what the limit held back for this call.
    const entry = this.lookup(frame, source);
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
