import type { CallEntry, EntryOwner } from './dedup-cache.js';

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
 */
export class SessionState implements EntryOwner {
  lowWater: number | undefined;
  lastSeenAt: number;
  /** This session's calls the dedup cache still remembers, by id (it manages the map). */
  readonly calls = new Map<number, CallEntry>();
  private done: CallEntry[] = [];
  private head = 0;

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
    // Bounded: past this many, the oldest are left to their TTL.
    if (this.done.length - this.head >= MAX_DONE_PER_SESSION) this.head++;
    this.done.push(entry);
  }

  /**
   * Raises the low-water mark to `lowWater` (never lowers it) and hands every
   * finished entry below it to `forget`, oldest first.
   */
  advance(lowWater: number, forget: (entry: CallEntry) => void): void {
    if (this.lowWater !== undefined && !serialBefore(this.lowWater, lowWater)) return;
    this.lowWater = lowWater;
    while (this.head < this.done.length && serialBefore(this.done[this.head]!.id, lowWater)) {
      forget(this.done[this.head++]!);
    }
    if (this.head === this.done.length) {
      this.done = [];
      this.head = 0;
    } else if (this.head > 256 && this.head * 2 > this.done.length) {
      this.done = this.done.slice(this.head);
      this.head = 0;
    }
  }
}

const MAX_DONE_PER_SESSION = 4096;

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
