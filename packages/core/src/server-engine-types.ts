import type { DropCounts, DropReason } from './drop-reason.js';
import type { ErrorCode } from './errors.js';
import type { IncomingCall } from './incoming-call.js';
import type { ReassemblyLimits } from './reassembly.js';
import type { DedupPolicy } from './retry-policy.js';
import type { AdmissionLimits } from './admission-queue.js';
import type { AddressValidator, SourceLimits } from './source-table.js';
import type { PeerAddress } from './transport.js';

// The shapes the server engine takes and gives: its hooks and options, a
// handler's outcome and its counters (the call it hands to the handler layer
// is in incoming-call.ts).

export type { IncomingCall } from './incoming-call.js';

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
