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
import { defaultSourceLimits, SourceTable } from './source-table.js';
import { Incarnation } from './incarnation.js';
import { RequestIntake } from './request-intake.js';
import { snapshotStats, zeroCallCounters } from './server-stats.js';
import { peerKey, type DatagramMeta, type PeerAddress } from '../transport/transport.js';
import type {
  HandlerOutcome,
  IncomingCall,
  ServerEngineHooks,
  ServerEngineOptions,
  ServerEngineStats,
} from './server-engine-types.js';

export type { HandlerOutcome, IncomingCall, ServerEngineHooks, ServerEngineOptions, ServerEngineStats } from './server-engine-types.js';

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
export class ServerEngine {
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
  private readonly hooks: ServerEngineHooks;
  private readonly restart: Incarnation;
  /** Largest datagram this engine sends. */
  readonly maxDatagramBytes: number;
  private readonly counters = zeroCallCounters();
  private readonly drops: DropCounts = {};
  // The transport hands the same PeerAddress object for the same address, so
  // remembering the last one saves building its string key per datagram.
  private lastFrom: PeerAddress | undefined;
  private lastPk = '';

  constructor(options: ServerEngineOptions) {
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
        return this.intake.onRequest(frame, from, pk, now, meta);
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
    const { counters, drops, cache, requests, admission, sources, gate, replies, paths } = this;
    return snapshotStats({ counters, drops, cache, requests, admission, sources, gate, replies, paths });
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
