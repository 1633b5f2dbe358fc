import type { ReplyPaths } from './reply-paths.js';
import type { AdmissionQueue } from '../flowcontrol/admission-queue.js';
import type { AmplificationGate } from '../flowcontrol/amplification-gate.js';
import type { ReassemblyTable } from '../recovery/reassembly-table.js';
import type { DropCounts } from '../wire/drop-reason.js';
import type { CallEntry } from './call-entry.js';
import type { DedupCache } from './dedup-cache.js';
import type { ReplySender } from './reply-sender.js';
import type { ServerEngineStats } from './server-engine-types.js';
import type { DrainState } from './drain-state.js';
import type { SourceTable } from './source-table.js';

/** The counters the server engine keeps itself; the rest of its stats are its parts' (see {@link ServerEngineStats}). */
export interface CallCounters {
  requests: number;
  notifications: number;
  duplicatesInProgress: number;
  duplicatesReplayed: number;
  duplicatesRefused: number;
  cancelled: number;
  deadlineAborts: number;
  rejected: number;
  reassemblyRefused: number;
  restartRefused: number;
}

/** Fresh counters. */
export function zeroCallCounters(): CallCounters {
  return {
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
}

/** The parts of a server engine whose counters make up its stats. */
export interface StatsSources {
  readonly counters: CallCounters;
  readonly drops: DropCounts;
  readonly cache: DedupCache;
  readonly requests: ReassemblyTable;
  readonly admission: AdmissionQueue<CallEntry>;
  readonly sources: SourceTable;
  readonly gate: AmplificationGate;
  readonly replies: ReplySender;
  /** The drain, once `goAway` started one (protocol.md §5.9). */
  readonly drain: DrainState | undefined;
  readonly paths: ReplyPaths;
}

/** A snapshot of a server engine's counters, gathered from its parts. */
export function snapshotStats(p: StatsSources): ServerEngineStats {
  const c = p.counters;
  return {
    requests: c.requests,
    responses: p.replies.responses,
    errors: p.replies.errors,
    notifications: c.notifications,
    duplicatesInProgress: c.duplicatesInProgress,
    duplicatesReplayed: c.duplicatesReplayed,
    duplicatesRefused: c.duplicatesRefused,
    cancelled: c.cancelled,
    deadlineAborts: c.deadlineAborts,
    handlerOverruns: p.admission.overruns,
    rejected: c.rejected,
    draining: p.drain !== undefined,
    goAways: p.drain?.goAways ?? 0,
    goingAwayRefused: p.drain?.refused ?? 0,
    restartRefused: c.restartRefused,
    reassemblyRefused: c.reassemblyRefused,
    amplificationBlocked: p.gate.blocked,
    validations: p.gate.validations,
    running: p.admission.running,
    queued: p.admission.queued,
    cacheEntries: p.cache.size,
    cacheBytes: p.cache.bytes,
    cacheEvictions: p.cache.evictions,
    reassemblyExpired: p.requests.expired,
    reassemblyBytes: p.requests.bytes,
    replyLossResends: p.replies.timers.lossResends,
    replyProbes: p.replies.timers.probes,
    pmtuBlackHoles: p.paths.blackHoles,
    sources: p.sources.size,
    sessions: p.sources.sessionCount,
    stateBytes: p.sources.bytes,
    drops: { ...p.drops },
  };
}
