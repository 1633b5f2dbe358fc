import { ReplyPaths } from './reply-paths.js';
import { parsePmtuProbe } from '../wire/pmtu-probe.js';
import { AmplificationGate } from '../flowcontrol/amplification-gate.js';
import { CallEntry, CallState } from './call-entry.js';
import { DedupCache } from './dedup-cache.js';
import { countDrop, type DropCounts, type DropReason } from '../wire/drop-reason.js';
import { FrameType } from '../wire/frame-header.js';
import { parseFrame, type Frame } from '../wire/frame.js';
import { splitBatch } from '../wire/batch.js';
import { ReassemblyTable } from '../recovery/reassembly-table.js';
import { defaultReassemblyLimits } from '../recovery/reassembly-limits.js';
import { ReplySender } from './reply-sender.js';
import { defaultDedupPolicy, defaultSizes, type DedupPolicy } from '../recovery/retry-policy.js';
import { AdmissionQueue, defaultAdmissionLimits } from '../flowcontrol/admission-queue.js';
import { SourceTable, type SourceState } from './source-table.js';
import { defaultSourceLimits } from './source-limits.js';
import { Incarnation } from './incarnation.js';
import { RequestIntake } from './request-intake.js';
import { DEFAULT_MAX_METADATA_BYTES } from '../wire/metadata.js';
import { snapshotStats, zeroCallCounters } from './server-stats.js';
import { DrainState, sendGoAways } from './drain-state.js';
import { checkServerEngineOptions } from './server-options-check.js';
import { HandlerWork } from './handler-work.js';
import { CallDeadlines } from './call-deadlines.js';
import { CallControl } from './call-control.js';
import { peerKey, type DatagramMeta, type PeerAddress } from '../transport/transport.js';
import type {
  HandlerOutcome,
  IncomingCall,
  MethodTarget,
  ServerEngineHooks,
  ServerEngineOptions,
  ServerEngineStats,
} from './server-engine-types.js';

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
 * `RequestIntake`'s, the other frames about a known call are the
 * `CallControl`'s, what goes back to the client is the `ReplySender`'s, and
 * every datagram out passes the `AmplificationGate`. Entry timers are the
 * `CallDeadlines`'; what the hooks hear waits in the `HandlerWork`.
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
  /** What {@link deliver} hands to the hooks: calls to start, handlers to abort. */
  private readonly work: HandlerWork<T>;
  private readonly deadlines: CallDeadlines<T>;
  /** CANCEL, FRAGMENT_ACK and VALIDATE_ECHO: frames about a call already known. */
  private readonly control: CallControl<T>;
  private readonly drops: DropCounts = {};
  /** Set by {@link goAway}: new calls are refused, and the host hears when to close (protocol.md §5.9). */
  private drain: DrainState | undefined;

  constructor(options: ServerEngineOptions<T>) {
    checkServerEngineOptions(options);
    this.hooks = options.hooks;
    this.work = new HandlerWork(this.hooks);
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
      this.work.start(entry);
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
    this.gate = new AmplificationGate(options.send, this.sources, options.validator, sourceLimits.amplificationFactor, this.maxDatagramBytes, options.sendv);
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
    this.deadlines = new CallDeadlines(this.cache, this.admission, this.work, this.replies, this.counters, this.policy);
    this.control = new CallControl(this.cache, this.admission, this.work, this.replies, this.gate, this.counters, (reason, from) =>
      this.drop(reason, from),
    );
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
        return this.control.onCancel(frame, source, now);
      case FrameType.FRAGMENT_ACK:
        return this.control.onFragmentAck(frame, from, source, now);
      case FrameType.VALIDATE_ECHO:
        return this.control.onValidateEcho(frame, from, source, now);
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
    this.work.deliver(this.admission);
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
    this.deadlines.expire(now);
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

  private drop(reason: DropReason, from: PeerAddress): void {
    countDrop(this.drops, reason);
    this.hooks.onDrop?.(reason, from);
  }
}
