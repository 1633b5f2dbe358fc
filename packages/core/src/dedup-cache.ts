import type { OutgoingTransfer } from './outgoing-transfer.js';
import type { DedupPolicy } from './retry-policy.js';
import { TimerHeap, type Timed } from './timer-heap.js';
import type { PeerAddress } from './transport.js';
import type { SessionState } from './session-state.js';

/** Life cycle of a call on the server (protocol.md §6.2). */
export const enum CallState {
  /** Admitted, waiting for a handler slot. */
  Queued,
  Running,
  Done,
  Cancelled,
}

/** What the server remembers of one call, keyed by peer, session and id. */
export interface CallEntry extends Timed {
  readonly key: string;
  readonly peer: PeerAddress;
  readonly peerKey: string;
  readonly session: number;
  readonly id: number;
  readonly deadlineAt: number;
  readonly noReply: boolean;
  readonly idempotent: boolean;
  /** The client's deadline was beyond `maxDeadlineMs`: it will still be waiting when ours passes. */
  readonly clamped: boolean;
  state: CallState;
  /** Latest attempt number seen; replies echo it. */
  attempt: number;
  reply: Uint8Array | undefined;
  /** The reply's fragments, when it does not fit in one datagram. */
  transfer: OutgoingTransfer | undefined;
  /** Bytes charged against the cache cap. */
  bytes: number;
  /** The client session this call belongs to (for low-water release). */
  readonly owner: SessionState;
}

/** Bookkeeping bytes charged per entry on top of its reply. */
export const ENTRY_OVERHEAD_BYTES = 160;

/**
 * The server's duplicate-suppression state: every call it has admitted and
 * not yet forgotten, a timer per entry (the handler deadline while it runs,
 * then its expiry), and the byte cap with eviction in completion order
 * (protocol.md §6.3).
 */
export class DedupCache {
  private readonly entries = new Map<string, CallEntry>();
  /** Finished entries in completion (or last retransmission) order. */
  private readonly done = new Set<CallEntry>();
  private readonly timers = new TimerHeap<CallEntry>();
  private totalBytes = 0;
  evictions = 0;

  constructor(
    private readonly policy: DedupPolicy,
    /** Hears of each non-idempotent entry the byte cap evicts: its source must then be treated conservatively. */
    private readonly onEvict: (entry: CallEntry) => void,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  get bytes(): number {
    return this.totalBytes;
  }

  get(key: string): CallEntry | undefined {
    return this.entries.get(key);
  }

  /** Starts tracking a new call; its timer fires at its deadline. */
  add(entry: CallEntry): void {
    this.entries.set(entry.key, entry);
    this.totalBytes += entry.bytes;
    this.timers.set(entry, entry.deadlineAt);
  }

  /** Sets the bytes an entry holds (overhead included). */
  setBytes(entry: CallEntry, bytes: number): void {
    this.totalBytes += bytes - entry.bytes;
    entry.bytes = bytes;
  }

  /** Marks an entry finished and keeps it until it expires, is evicted or released. */
  finish(entry: CallEntry, now: number): void {
    entry.state = CallState.Done;
    this.done.add(entry);
    this.timers.set(entry, this.expiryOf(entry, now));
    entry.owner.noteDone(entry);
    this.enforceCap();
  }

  /** Keeps an entry without a reply until it expires (cancelled calls); it holds only its overhead. */
  cancel(entry: CallEntry, now: number): void {
    entry.state = CallState.Cancelled;
    this.setBytes(entry, ENTRY_OVERHEAD_BYTES);
    this.done.add(entry);
    this.timers.set(entry, this.expiryOf(entry, now));
    entry.owner.noteDone(entry);
    this.enforceCap();
  }

  /** A retransmission arrived: the client still waits, so keep the entry a while longer. */
  touch(entry: CallEntry, now: number): void {
    if (entry.state === CallState.Queued || entry.state === CallState.Running) return;
    this.timers.set(entry, Math.max(entry.timerAt, now + this.policy.graceMs));
    if (entry.state === CallState.Done) {
      this.done.delete(entry);
      this.done.add(entry);
    }
  }

  /** Evicts finished (and cancelled) entries, oldest first, while over the byte cap. */
  private enforceCap(): void {
    for (const victim of this.done) {
      if (this.totalBytes <= this.policy.maxBytes) break;
      this.evictions++;
      if (!victim.idempotent) this.onEvict(victim);
      this.forget(victim);
    }
  }

  /** Removes and returns the next entry whose timer is due. */
  popDue(now: number): CallEntry | undefined {
    return this.timers.popDue(now);
  }

  /** Re-arms an entry's timer for its expiry. */
  expireLater(entry: CallEntry, now: number): void {
    this.timers.set(entry, this.expiryOf(entry, now));
  }

  nextTimerAt(): number | undefined {
    return this.timers.peek()?.timerAt;
  }

  forget(entry: CallEntry): void {
    if (this.entries.get(entry.key) !== entry) return;
    this.entries.delete(entry.key);
    this.done.delete(entry);
    this.timers.delete(entry);
    this.totalBytes -= entry.bytes;
    // Its session may still point at it; let the reply's bytes go now.
    entry.reply = undefined;
    entry.transfer = undefined;
  }


  /** Counts entries per state, for stats. */
  countByState(): Record<CallState, number> {
    const counts = { [CallState.Queued]: 0, [CallState.Running]: 0, [CallState.Done]: 0, [CallState.Cancelled]: 0 };
    for (const e of this.entries.values()) counts[e.state]++;
    return counts;
  }

  private expiryOf(entry: CallEntry, now: number): number {
    // Notifications are never retransmitted: only network duplicates can follow.
    if (entry.noReply) return now + this.policy.graceMs;
    return Math.max(now, entry.deadlineAt) + this.policy.graceMs;
  }
}
