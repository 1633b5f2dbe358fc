import type { SlotReclaim } from '../flowcontrol/admission-queue.js';
import type { IncomingCall } from './incoming-call.js';
import type { TimedTransfer } from '../recovery/timed-transfer.js';
import type { Timed } from '../timer/timer-heap.js';
import type { PeerAddress } from '../transport/transport.js';

// One call as the server remembers it: its record, its life cycle and what
// it is charged against the reply cache's byte cap (protocol.md §6.2–6.3).

/**
 * What the cache needs of the client session a call belongs to
 * (session-state.ts `SessionState` implements it; declared here so that
 * session-state.ts imports this module and not the other way round).
 */
export interface EntryOwner {
  /** The session's calls the cache remembers, by id (the cache manages the map). */
  readonly calls: Map<number, CallEntry>;
  /** Lists a finished entry for release by a later low-water mark. */
  noteDone(entry: CallEntry): void;
  /** Takes a forgotten entry off the session's list of finished calls. */
  dropDone(entry: CallEntry): void;
  /** Records that the entry of call `id` was evicted. */
  noteEvicted(id: number): void;
}

/**
 * Life cycle of a call on the server (protocol.md §6.2):
 * Queued → Running → Done | Cancelled → Forgotten, or straight to Forgotten
 * from Running (an idempotent reply that needs no caching) or from any state
 * (eviction, low-water release). Forgotten is final: a forgotten entry holds
 * no bytes, no timer and no place in the eviction list, and no transition
 * leads out of it, however late a handler's reply or a timer comes.
 */
export const enum CallState {
  /** Admitted, waiting for a handler slot. */
  Queued,
  Running,
  Done,
  Cancelled,
  /** No longer in the cache. */
  Forgotten,
}

/** Where the cache indexes an entry. */
export const enum EntryIndex {
  None,
  /** In its session's `calls` map, by id. */
  Session,
  /** In the cache's string-keyed map of entries whose session left the session table. */
  Orphan,
}

const NO_PAYLOAD = new Uint8Array(0);

/**
 * What the server remembers of one call, keyed by peer, session and id. It is
 * also the {@link IncomingCall} handed to the handler layer and the handle that
 * comes back in `respond`: one object per call rather than three, and no
 * string key built on the hot path (calls are found through their session's
 * `calls` map, by id).
 */
export class CallEntry implements IncomingCall, Timed {
  // Every field is declared without an initialiser and assigned once in the
  // constructor, in one order: with native class fields, initialisers and
  // parameter properties would first define each field, then assign it.
  /** The cache this entry belongs to, as an identity: `respond` ignores another engine's calls. */
  declare readonly cache: object;
  declare readonly peer: PeerAddress;
  declare readonly peerKey: string;
  declare readonly session: number;
  declare readonly id: number;
  declare readonly method: string;
  /** The request payload; dropped once the call is answered or cancelled (it is no longer charged then). */
  declare payload: Uint8Array;
  /** Absolute deadline on the engine's clock. */
  declare readonly deadlineAt: number;
  declare readonly noReply: boolean;
  declare readonly idempotent: boolean;
  /** The client's deadline was beyond `maxDeadlineMs`: it will still be waiting when ours passes. */
  declare readonly clamped: boolean;
  /** Latest attempt number seen; replies echo it. */
  declare attempt: number;
  /** The client session this call belongs to (for low-water release and lookups). */
  declare readonly owner: EntryOwner;
  declare readonly authenticatedAs: string | undefined;
  /** Codec id the request named for its payload (protocol.md §5.7). */
  declare readonly codec: number;
  declare state: CallState;
  declare reply: Uint8Array | undefined;
  /** The reply's fragments, when it does not fit in one datagram (with their timer): a reply-transfer.ts `ReplyTransfer`. */
  declare transfer: TimedTransfer | undefined;
  /** Bytes charged against the cache cap. */
  declare bytes: number;
  declare timerAt: number;
  declare heapIndex: number;
  /** Holds a handler slot in the admission queue (managed by it). */
  declare holdsSlot: boolean;
  /** Waits for a slot in the admission queue (managed by it). */
  declare inQueue: boolean;
  /** When the admission queue takes the slot back from an aborted handler (managed by it). */
  declare reclaim: SlotReclaim | undefined;
  /** Neighbours in the cache's completion-order list of finished entries. */
  declare prevDone: CallEntry | undefined;
  declare nextDone: CallEntry | undefined;
  declare inDone: boolean;
  /** Where the cache indexes it (managed by the cache). */
  declare indexed: EntryIndex;
  /** Neighbours in its session's list of finished entries (managed by the session, protocol.md §6.3). */
  declare prevInSession: CallEntry | undefined;
  declare nextInSession: CallEntry | undefined;
  declare inSessionDone: boolean;

  constructor(
    cache: object,
    peer: PeerAddress,
    peerKey: string,
    session: number,
    id: number,
    method: string,
    payload: Uint8Array,
    deadlineAt: number,
    noReply: boolean,
    idempotent: boolean,
    clamped: boolean,
    attempt: number,
    owner: EntryOwner,
    authenticatedAs: string | undefined,
    codec: number,
  ) {
    this.cache = cache;
    this.peer = peer;
    this.peerKey = peerKey;
    this.session = session;
    this.id = id;
    this.method = method;
    this.payload = payload;
    this.deadlineAt = deadlineAt;
    this.noReply = noReply;
    this.idempotent = idempotent;
    this.clamped = clamped;
    this.attempt = attempt;
    this.owner = owner;
    this.authenticatedAs = authenticatedAs;
    this.codec = codec;
    this.state = CallState.Queued;
    this.reply = undefined;
    this.transfer = undefined;
    this.bytes = ENTRY_OVERHEAD_BYTES + payload.length;
    this.timerAt = 0;
    this.heapIndex = -1;
    this.holdsSlot = false;
    this.inQueue = false;
    this.reclaim = undefined;
    this.prevDone = undefined;
    this.nextDone = undefined;
    this.inDone = false;
    this.indexed = EntryIndex.None;
    this.prevInSession = undefined;
    this.nextInSession = undefined;
    this.inSessionDone = false;
  }

  /** The handle `respond` and `onAbort` use: the call itself. */
  get key(): IncomingCall {
    return this;
  }

  /** Lets the request payload go once nothing will read it for the engine. */
  dropPayload(): void {
    this.payload = NO_PAYLOAD;
  }
}

/**
 * Bytes charged per entry on top of its request payload (while it runs) or
 * its reply (once answered): what one entry retains besides those bytes — the
 * CallEntry, its slot in its session's `calls` map and in the timer heap, and
 * the typed-array and ArrayBuffer objects that wrap its payload or reply.
 * Measured on Node 20 (x64): heap + ArrayBuffer bytes after a full GC, per
 * entry of N in one session, payload/reply bytes taken off
 * (`CALLS=N node --expose-gc --import tsx --conditions=@udprpc/source
 * test/hardening/measure-memory.ts entry:done|entry:running|entry:notification`):
 * answered with a reply, 537 to 575 bytes for N from 8,193 to 60,000 (the
 * `calls` map and the timer heap grow by doubling, so the figure depends on
 * how full they are; 575 just past a doubling); running with its payload,
 * 553 to 583; a notification (nothing to cache), 341. 600 covers them all.
 */
export const ENTRY_OVERHEAD_BYTES = 600;

/**
 * Bytes charged on top of {@link ENTRY_OVERHEAD_BYTES} while an entry is
 * indexed by string key because its session left the session table: the key
 * string and its slot in the cache's `orphans` map. Measured as above
 * (`entry:orphaned`): 660 to 685 bytes per orphaned answered entry, 110 to
 * 137 more than one in its session.
 */
export const ORPHAN_INDEX_BYTES = 140;

/** The bytes an entry is charged besides its payload or reply, given where it is indexed. */
export function overheadOf(entry: CallEntry): number {
  return entry.indexed === EntryIndex.Orphan ? ENTRY_OVERHEAD_BYTES + ORPHAN_INDEX_BYTES : ENTRY_OVERHEAD_BYTES;
}

/** The string key of a call, built only off the hot path (orphaned entries, reassembly). */
export function callKeyOf(peerKey: string, session: number, id: number): string {
  return `${peerKey}|${session}|${id}`;
}
