import type { DropCounts, DropReason } from '../wire/drop-reason.js';
import type { ErrorCode } from '../errors.js';
import type { IncomingCall, MethodTarget } from './incoming-call.js';
import type { ReassemblyLimits } from '../recovery/reassembly-limits.js';
import type { DedupPolicy } from '../recovery/retry-policy.js';
import type { AdmissionLimits } from '../flowcontrol/admission-queue.js';
import type { AddressValidator } from './source-table.js';
import type { SourceLimits } from './source-limits.js';
import type { PeerAddress } from '../transport/transport.js';

// The shapes the server engine takes and gives: its hooks and options, a
// handler's outcome and its counters (the call it hands to the handler layer
// is in incoming-call.ts).

export type { IncomingCall, MethodTarget } from './incoming-call.js';

/**
 * What the server engine asks of the layer that runs handlers. `onCall` and
 * `onAbort` are called only from `ServerEngine.deliver()`, which the host
 * calls after each engine call: never inside `receive`, `respond` or
 * `onTimer` (CONVENTIONS.md 15).
 */
export interface ServerEngineHooks<T extends MethodTarget = MethodTarget> {
  /** A new call may run: run its handler, then call `respond` with it (at once is fine). */
  onCall(call: IncomingCall<T>): void;
  /**
   * The call's deadline passed or the client cancelled it: abort its handler.
   * Only for a call handed to `onCall` whose answer has not come back yet.
   */
  onAbort?(call: IncomingCall<T>, reason: 'deadline' | 'cancelled'): void;
  /**
   * The host's record of a method, looked up once per new call (a
   * retransmission finds the call's entry instead): whether it is
   * idempotent, and whatever the host needs to run it, handed back on the
   * call as `target`. Without it, every method is at-most-once.
   */
  resolve?(method: string): T | undefined;
  /** A received datagram was discarded. */
  onDrop?(reason: DropReason, from: PeerAddress): void;
  /** The drain started by `goAway` is over (protocol.md §5.9): close now. Called once, from `onTimer`. */
  onDrained?(): void;
}

/**
 * Configuration of a {@link ServerEngine}. The constructor checks it: a
 * TypeError for a value of the wrong type or shape, a RangeError for one
 * out of range (see server-options-check.ts for each option's range),
 * naming the option (`options.admission.maxRunning`).
 */
export interface ServerEngineOptions<T extends MethodTarget = MethodTarget> {
  /** Sends one datagram. */
  send(bytes: Uint8Array, to: PeerAddress): void;
  /**
   * Sends one datagram made of `chunks` in order, without joining them
   * (`Transport.sendv`); must not throw. Optional: without it, a fragment of
   * a large message is copied into one buffer for `send`.
   */
  sendv?(chunks: readonly Uint8Array[], to: PeerAddress): void;
  /** Where calls and events go. */
  hooks: ServerEngineHooks<T>;
  /** Overrides of `defaultDedupPolicy`. */
  dedup?: Partial<DedupPolicy>;
  /** Largest datagram to send (default 1200); with `pmtu`, the base size of reply fragments. */
  maxDatagramBytes?: number;
  /**
   * Path MTU discovery (protocol.md §7.5): reply fragments to a client grow
   * to the size the client confirmed in its probes, up to
   * `maxDatagramBytesFor(client)`. Off when absent (probes are still answered).
   */
  pmtu?: {
    /** The largest datagram the transport may send to `peer` without IP fragmentation. */
    maxDatagramBytesFor(peer: PeerAddress): number;
  };
  /** Limits on requests arriving in fragments (maxMessageBytes: 16 MiB). */
  reassembly?: Partial<ReassemblyLimits>;
  /** Concurrency limit and queue for handlers. */
  admission?: Partial<AdmissionLimits>;
  /** Per-source rate limit and anti-amplification. */
  sources?: Partial<SourceLimits>;
  /** Mints and checks address-validation tokens; without it, anti-amplification is off. */
  validator?: AddressValidator;
  /**
   * Uniform [0, 1) source the server incarnation is drawn from (protocol.md
   * §6.3); inject a seeded one in tests. Default `Math.random`.
   */
  random?: () => number;
  /**
   * When this server started, on the engine's clock: for the start-up grace
   * period of protocol.md §6.3. Default: when the first datagram arrives.
   */
  startedAt?: number;
  /**
   * How long after its start the server refuses (ABORTED, MAY_HAVE_RUN) a
   * retransmission it has no record of from a client that knew no server
   * incarnation when it started the call: such a call may have run on an
   * earlier incarnation of this server (protocol.md §6.3). Default
   * `maxDeadlineMs + graceMs`. 0 only for a server that is the first ever
   * at its address and port (nothing can have run before it).
   */
  startupGraceMs?: number;
  /**
   * Largest request metadata block accepted, length field included
   * (protocol.md §5.8; default 8192). A request above it is refused with
   * RESOURCE_EXHAUSTED and its handler never runs.
   */
  maxMetadataBytes?: number;
}

/** A handler's outcome, with the result already encoded. */
export type HandlerOutcome =
  | {
      /** The handler returned. */
      ok: true;
      /** Its encoded result. */
      payload: Uint8Array;
      /** Reply metadata, an encoded block (wire/metadata.ts `encodeMetadataBlock`), if any. */
      metadata?: Uint8Array;
    }
  | {
      /** The handler failed. */
      ok: false;
      /** The error code to send. */
      code: ErrorCode;
      /** The error message to send. */
      message: string;
      /** Encoded error details, if any. */
      details?: Uint8Array;
      /** A retry-after hint for the client (overload pushback). */
      retryAfterMs?: number;
      /** Reply metadata, an encoded block (wire/metadata.ts `encodeMetadataBlock`), if any. */
      metadata?: Uint8Array;
    };

/** Counters of a server engine. */
export interface ServerEngineStats {
  /** Requests received (first copies). */
  requests: number;
  /** Calls answered with a result. */
  responses: number;
  /** Calls answered with an error. */
  errors: number;
  /** Notifications received. */
  notifications: number;
  /** Retransmissions answered with ACK while the handler ran. */
  duplicatesInProgress: number;
  /** Retransmissions answered from the reply cache. */
  duplicatesReplayed: number;
  /**
   * Retransmissions refused with ABORTED (MAY_HAVE_RUN) because an earlier
   * copy may have run: the reply was evicted, the source's state lost, the
   * copy is behind its session's mark, or it may predate a restart (protocol.md §6.3).
   */
  duplicatesRefused: number;
  /** Of those, the ones refused because they may predate this server incarnation (a restart, protocol.md §6.3). */
  restartRefused: number;
  /** Calls cancelled by their client. */
  cancelled: number;
  /** Calls whose deadline passed while they were queued or running (their handler was aborted). */
  deadlineAborts: number;
  /**
   * Handlers still running `admission.overrunGraceMs` after their abort
   * (deadline or CANCEL): their slot was given to the next call (protocol.md §6.4).
   */
  handlerOverruns: number;
  /** Handlers running now. */
  running: number;
  /** Calls admitted and waiting for a handler slot. */
  queued: number;
  /** Calls refused with pushback because handlers and queue were full. */
  rejected: number;
  /** A drain (`goAway`, protocol.md §5.9) has started. */
  draining: boolean;
  /** GOAWAY frames sent by the drain. */
  goAways: number;
  /** New calls refused during the drain (UNAVAILABLE, REJECTED: "going away"), notifications included. */
  goingAwayRefused: number;
  /** Replies held in the dedup cache. */
  cacheEntries: number;
  /** Bytes held in the dedup cache. */
  cacheBytes: number;
  /** Replies evicted from the dedup cache before their time. */
  cacheEvictions: number;
  /** Requests refused because reassembly limits were reached. */
  reassemblyRefused: number;
  /** Unfinished fragmented requests discarded after the idle timeout. */
  reassemblyExpired: number;
  /** Bytes held in partly received requests. */
  reassemblyBytes: number;
  /** Sends held back by the anti-amplification limit. */
  amplificationBlocked: number;
  /** Reply fragments resent by the server's own loss timer, and probes sent by its probe timer (protocol.md §7.3). */
  replyLossResends: number;
  /** Reply fragments sent by a reply transfer's probe timer; no budget token. */
  replyProbes: number;
  /** Times a reply transfer's black hole sent a client back to `maxDatagramBytes` (protocol.md §7.5). */
  pmtuBlackHoles: number;
  /** Token round trips that validated a session at its source address (again after each validation lifetime, protocol.md §8.2). */
  validations: number;
  /** Source addresses currently remembered. */
  sources: number;
  /** Client sessions currently remembered (their low-water marks), at most 16 per source. */
  sessions: number;
  /** Bytes charged for remembered sources and sessions (protocol.md §8.2), at most `sources.maxStateBytes`. */
  stateBytes: number;
  /** Received datagrams discarded, by reason. */
  drops: DropCounts;
}
