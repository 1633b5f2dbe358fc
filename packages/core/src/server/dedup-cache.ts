import { callKeyOf, CallState, EntryIndex, ORPHAN_INDEX_BYTES, overheadOf, type CallEntry, type EntryOwner } from './call-entry.js';
import type { DedupPolicy } from '../recovery/retry-policy.js';
import { TimerHeap } from '../timer/timer-heap.js';

/**
 * The server's duplicate-suppression state: every call it has admitted and
 * not yet forgotten, a timer per entry (the handler deadline while it runs,
 * then its expiry), and the byte cap with eviction in completion order
 * (protocol.md §6.3).
 *
 * Entries are indexed in their session's `calls` map. When a session leaves
 * the session table (idle, pushed out, or its source forgotten) while it
 * still has entries, those move to a string-keyed map, so they stay findable
 * until they expire exactly as before; that path is rare and off the hot path.
 */
export class DedupCache {
  private count = 0;
  private readonly orphans = new Map<string, CallEntry>();
  /** Finished entries in completion (or last retransmission) order: an intrusive list, no hashing or iterator per call. */
  private doneHead: CallEntry | undefined;
  private doneTail: CallEntry | undefined;
  private readonly timers = new TimerHeap<CallEntry>();
  private totalBytes = 0;
  evictions = 0;

  constructor(
    private readonly policy: DedupPolicy,
    /** Hears of each non-idempotent entry the byte cap evicts: its source must then be treated conservatively. */
    private readonly onEvict: (entry: CallEntry) => void,
  ) {}

  get size(): number {
    return this.count;
  }

  get bytes(): number {
    return this.totalBytes;
  }

  /**
   * The entry of call `id` of session number `sessionId` from `peerKey`.
   * `session` is that session's state if the session table has it.
   */
  find(session: EntryOwner | undefined, peerKey: string, sessionId: number, id: number): CallEntry | undefined {
    const entry = session?.calls.get(id);
    if (entry !== undefined || this.orphans.size === 0) return entry;
    return this.orphans.get(callKeyOf(peerKey, sessionId, id));
  }

  /** Starts tracking a new call. Arm its deadline with {@link armDeadline} once it has been started or queued. */
  add(entry: CallEntry): void {
    entry.owner.calls.set(entry.id, entry);
    entry.indexed = EntryIndex.Session;
    this.count++;
    this.totalBytes += entry.bytes;
  }

  /**
   * Sets the timer of a call still queued or running to its deadline. Left
   * until after the handler was started, as most small calls are answered
   * synchronously, and their entry's only timer is then its expiry.
   */
  armDeadline(entry: CallEntry): void {
    // A handler that answered synchronously has moved its entry on (to Done,
    // or to Forgotten for an idempotent reply): its timer is set already, or none is due.
    if (isLive(entry)) this.timers.set(entry, entry.deadlineAt);
  }

  /**
   * `session` left the session table: keep its entries findable by string key
   * until they are forgotten, as a retransmission may still arrive for them.
   */
  orphan(session: EntryOwner): void {
    if (session.calls.size === 0) return;
    for (const entry of session.calls.values()) {
      entry.indexed = EntryIndex.Orphan;
      this.orphans.set(callKeyOf(entry.peerKey, entry.session, entry.id), entry);
      // Its string key and map slot are held as well now (protocol.md §6.3).
      this.setBytes(entry, entry.bytes + ORPHAN_INDEX_BYTES);
    }
    session.calls.clear();
    this.enforceCap();
  }

  /** Sets the bytes an entry holds (overhead included). */
  setBytes(entry: CallEntry, bytes: number): void {
    this.totalBytes += bytes - entry.bytes;
    entry.bytes = bytes;
  }

  /** Marks a queued or running entry finished and keeps it until it expires, is evicted or released. */
  finish(entry: CallEntry, now: number): void {
    if (!isLive(entry)) return;
    entry.state = CallState.Done;
    this.appendDone(entry);
    this.timers.set(entry, this.expiryOf(entry, now));
    entry.owner.noteDone(entry);
    this.enforceCap();
  }

  /** Keeps a queued or running entry without a reply until it expires (cancelled calls); it holds only its overhead. */
  cancel(entry: CallEntry, now: number): void {
    if (!isLive(entry)) return;
    entry.state = CallState.Cancelled;
    entry.dropPayload();
    this.setBytes(entry, overheadOf(entry));
    this.appendDone(entry);
    this.timers.set(entry, this.expiryOf(entry, now));
    entry.owner.noteDone(entry);
    this.enforceCap();
  }

  /** A retransmission arrived: the client still waits, so keep the entry a while longer. */
  touch(entry: CallEntry, now: number): void {
    if (entry.state !== CallState.Done && entry.state !== CallState.Cancelled) return;
    this.timers.set(entry, Math.max(entry.timerAt, now + this.policy.graceMs));
    if (entry.state === CallState.Done) {
      this.unlinkDone(entry);
      this.appendDone(entry);
    }
  }

  /** Evicts finished (and cancelled) entries, oldest first, while over the byte cap. */
  private enforceCap(): void {
    while (this.totalBytes > this.policy.maxBytes) {
      const victim = this.doneHead;
      if (victim === undefined) return;
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

  /** Removes an entry for good (whatever its state): it no longer blocks a copy of its call, nor holds anything. */
  forget(entry: CallEntry): void {
    if (entry.state === CallState.Forgotten) return;
    entry.state = CallState.Forgotten;
    if (entry.indexed === EntryIndex.Session) entry.owner.calls.delete(entry.id);
    else if (entry.indexed === EntryIndex.Orphan) this.orphans.delete(callKeyOf(entry.peerKey, entry.session, entry.id));
    entry.indexed = EntryIndex.None;
    this.count--;
    this.unlinkDone(entry);
    entry.owner.dropDone(entry);
    this.timers.delete(entry);
    this.totalBytes -= entry.bytes;
    // Its session may still point at it; let the reply's bytes go now.
    entry.reply = undefined;
    entry.transfer?.stop();
    entry.transfer = undefined;
    entry.dropPayload();
  }

  // Like Set.add: an entry already in the list keeps its place.
  private appendDone(entry: CallEntry): void {
    if (entry.inDone) return;
    entry.inDone = true;
    entry.prevDone = this.doneTail;
    entry.nextDone = undefined;
    if (this.doneTail === undefined) this.doneHead = entry;
    else this.doneTail.nextDone = entry;
    this.doneTail = entry;
  }

  private unlinkDone(entry: CallEntry): void {
    if (!entry.inDone) return;
    entry.inDone = false;
    const { prevDone, nextDone } = entry;
    if (prevDone === undefined) this.doneHead = nextDone;
    else prevDone.nextDone = nextDone;
    if (nextDone === undefined) this.doneTail = prevDone;
    else nextDone.prevDone = prevDone;
    entry.prevDone = undefined;
    entry.nextDone = undefined;
  }

  private expiryOf(entry: CallEntry, now: number): number {
    // Notifications are never retransmitted: only network duplicates can follow.
    if (entry.noReply) return now + this.policy.graceMs;
    return Math.max(now, entry.deadlineAt) + this.policy.graceMs;
  }
}

/** Whether the call has not been answered, cancelled or forgotten yet. */
function isLive(entry: CallEntry): boolean {
  return entry.state === CallState.Queued || entry.state === CallState.Running;
}
