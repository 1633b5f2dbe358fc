import type { CallEntry } from './dedup-cache.js';

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
export class SessionState {
  lowWater: number | undefined;
  lastSeenAt: number;
  private done: CallEntry[] = [];
  private head = 0;

  constructor(now: number) {
    this.lastSeenAt = now;
  }

  /** Whether `id` is below the low-water mark: a late copy of a finished call. */
  isStale(id: number): boolean {
    return this.lowWater !== undefined && serialBefore(id, this.lowWater);
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
 * All sessions a server has seen recently, bounded (least recently seen
 * first out). A session idle for longer than `idleMs` can no longer receive
 * a late copy of anything and is dropped; one dropped early for room is
 * reported through `onLost` so the engine can be conservative about it.
 */
export class SessionTable {
  private readonly sessions = new Map<string, SessionState>();

  constructor(
    private readonly maxSessions: number,
    private readonly idleMs: number,
    private readonly onLost: (state: SessionState) => void,
  ) {}

  get size(): number {
    return this.sessions.size;
  }

  get(key: string, now: number): SessionState {
    let s = this.sessions.get(key);
    if (s === undefined) {
      this.expire(now);
      if (this.sessions.size >= this.maxSessions) {
        const [oldestKey, oldest] = this.sessions.entries().next().value!;
        this.sessions.delete(oldestKey);
        this.onLost(oldest);
      }
      s = new SessionState(now);
      this.sessions.set(key, s);
    } else if (now - s.lastSeenAt > 1000) {
      // Re-inserting moves it to the recent end; once a second is enough for LRU.
      this.sessions.delete(key);
      this.sessions.set(key, s);
      s.lastSeenAt = now;
    }
    return s;
  }

  /** Drops sessions idle for longer than `idleMs`. */
  expire(now: number): void {
    for (const [key, s] of this.sessions) {
      if (now - s.lastSeenAt <= this.idleMs) return;
      this.sessions.delete(key);
    }
  }
}
