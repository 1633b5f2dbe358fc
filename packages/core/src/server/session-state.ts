import type { CallEntry, EntryOwner } from './call-entry.js';

/**
 * What a session needs of its source address's state (source-table.ts
 * `SourceState` extends it; declared here so that source-table.ts imports
 * this module and not the other way round).
 */
export interface SessionSource {
  /** When the server last lost dedup state for this address (protocol.md §6.3). */
  lostStateAt: number;
  /** Client sessions seen from this address, by session number. */
  readonly sessions: Map<number, SessionState>;
}

/**
 * True when serial number `a` comes before `b` (RFC 1982 arithmetic on u32):
 * ids wrap, so "before" means "less than half the id space behind".
 */
export function serialBefore(a: number, b: number): boolean {
  return a !== b && ((b - a) >>> 0) < 0x8000_0000;
}

/**
 * What the server knows about one client session (protocol.md §6.3): the
 * low-water id below which the client has finished every call, and that
 * session's finished entries in completion order, so they can be forgotten
 * as soon as the client says it no longer needs them.
 *
 * The finished entries are an intrusive list through the entries themselves,
 * and an entry leaves it when the cache forgets it (expiry, eviction,
 * release): the list holds only entries the cache still charges, so a
 * session that never sends a span (notification-only clients) keeps nothing
 * beyond them. The session itself is charged by the source table.
 */
export class SessionState implements EntryOwner {
  lowWater: number | undefined;
  /**
   * The highest id of this session's REQUESTs so far, moved forward by at
   * most {@link MAX_ID_STEP} per datagram. The mark may not pass it by more
   * than one, so no single datagram (a bit flip, a forgery) can move the
   * mark past ids the server has not seen (protocol.md §6.3).
   */
  highestId: number | undefined;
  lastSeenAt: number;
  /** This session's calls the dedup cache still remembers, by id (it manages the map). */
  readonly calls = new Map<number, CallEntry>();
  /** Oldest and newest finished entry still in the cache, in completion order. */
  private doneHead: CallEntry | undefined;
  private doneTail: CallEntry | undefined;

  constructor(
    now: number,
    /** The source address's state, where lost dedup state is recorded. */
    readonly source: SessionSource,
  ) {
    this.lastSeenAt = now;
  }

  /**
   * The highest id of this session whose entry the byte cap evicted. A copy
   * of any call up to it that finds no entry may be a late duplicate of one
   * that ran, whatever its attempt number (protocol.md §6.3).
   */
  evictedUpTo: number | undefined;

  /** Whether `id` is below the low-water mark: a late copy of a finished call. */
  isStale(id: number): boolean {
    return this.lowWater !== undefined && serialBefore(id, this.lowWater);
  }

  /** Records that the entry of call `id` was evicted. */
  noteEvicted(id: number): void {
    if (this.evictedUpTo === undefined || serialBefore(this.evictedUpTo, id)) this.evictedUpTo = id;
  }

  /** Whether a call `id` with no entry may be one whose entry was evicted. */
  mayHaveBeenEvicted(id: number): boolean {
    return this.evictedUpTo !== undefined && !serialBefore(this.evictedUpTo, id);
  }

  /** Remembers a finished entry so a later low-water mark can release it. */
  noteDone(entry: CallEntry): void {
    if (entry.inSessionDone) return;
    entry.inSessionDone = true;
    entry.prevInSession = this.doneTail;
    entry.nextInSession = undefined;
    if (this.doneTail === undefined) this.doneHead = entry;
    else this.doneTail.nextInSession = entry;
    this.doneTail = entry;
  }

  /** The cache forgot `entry`: it leaves the list (O(1)), so the list never outlives what the cache charges. */
  dropDone(entry: CallEntry): void {
    if (!entry.inSessionDone) return;
    entry.inSessionDone = false;
    const { prevInSession: prev, nextInSession: next } = entry;
    if (prev === undefined) this.doneHead = next;
    else prev.nextInSession = next;
    if (next === undefined) this.doneTail = prev;
    else next.prevInSession = prev;
    entry.prevInSession = undefined;
    entry.nextInSession = undefined;
  }

  /**
   * Records that a REQUEST with `id` arrived (after its span was applied).
   * A jump of more than {@link MAX_ID_STEP} is not believed: one corrupted
   * id must not open the way for the next datagram's mark.
   */
  noteId(id: number): void {
    if (this.highestId === undefined) this.highestId = id;
    else if (serialBefore(this.highestId, id) && ((id - this.highestId) >>> 0) <= MAX_ID_STEP) this.highestId = id;
  }

  /**
   * Raises the low-water mark towards `lowWater` (never lowers it), but not
   * beyond one past the highest id seen before (none seen: not at all), and
   * hands every finished entry below the new mark to `forget`, oldest first.
   */
  advance(lowWater: number, forget: (entry: CallEntry) => void): void {
    if (this.highestId === undefined) return;
    const cap = (this.highestId + 1) >>> 0;
    if (serialBefore(cap, lowWater)) lowWater = cap;
    if (this.lowWater !== undefined && !serialBefore(this.lowWater, lowWater)) return;
    this.lowWater = lowWater;
    for (let entry = this.doneHead; entry !== undefined && serialBefore(entry.id, lowWater); entry = this.doneHead) {
      this.dropDone(entry);
      forget(entry);
    }
  }
}

/**
 * Largest forward step of a session's highest id that one REQUEST can make
 * (protocol.md §6.3). A reference client has at most 1024 calls in flight and
 * 4096 queued per server, so its ids advance in far smaller steps between two
 * requests the server receives, unless more than this many of its calls in a
 * row failed before any copy reached the server.
 */
export const MAX_ID_STEP = 65_536;

/**
 * Sessions remembered per source address. A client instance is one session,
 * so a handful per address is plenty; a source inventing more only pushes out
 * its own older ones (and is then treated conservatively, protocol.md §6.3).
 */
export const MAX_SESSIONS_PER_SOURCE = 16;

/**
 * The state of session `id` in a source's `sessions` map, created if new.
 * Sessions idle for `idleMs` are dropped (no late copy can reach them any
 * more); if the map is full the oldest goes, and if it still held a
 * low-water mark the source is marked as having lost state. `onDropped` hears
 * of each session that leaves the map (its remaining calls must stay findable).
 */
export function sessionOf(
  source: SessionSource,
  id: number,
  now: number,
  idleMs: number,
  onDropped?: (session: SessionState) => void,
): SessionState {
  const sessions = source.sessions;
  let s = sessions.get(id);
  if (s !== undefined) {
    s.lastSeenAt = now;
    return s;
  }
  for (const [key, old] of sessions) {
    if (now - old.lastSeenAt > idleMs) {
      sessions.delete(key);
      onDropped?.(old);
    }
  }
  if (sessions.size >= MAX_SESSIONS_PER_SOURCE) {
    const [key, oldest] = sessions.entries().next().value!;
    sessions.delete(key);
    onDropped?.(oldest);
    // Its low-water mark is gone: this source's retransmissions become ambiguous.
    if (oldest.lowWater !== undefined) source.lostStateAt = now;
  }
  s = new SessionState(now, source);
  sessions.set(id, s);
  return s;
}
