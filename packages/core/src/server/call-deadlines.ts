import type { AdmissionQueue } from '../flowcontrol/admission-queue.js';
import type { DedupPolicy } from '../recovery/retry-policy.js';
import { CallState, type CallEntry } from './call-entry.js';
import type { DedupCache } from './dedup-cache.js';
import type { HandlerWork } from './handler-work.js';
import type { ReplySender } from './reply-sender.js';
import type { MethodTarget } from './server-engine-types.js';
import type { CallCounters } from './server-stats.js';

/**
 * What happens when the timer of a call's entry fires (protocol.md §6.4): a
 * queued call gives its place up, a running handler is told to stop and its
 * slot taken back after a grace period, and an entry whose deadline was
 * clamped to the server's answers DEADLINE_EXCEEDED; a finished entry is
 * forgotten.
 */
export class CallDeadlines<T extends MethodTarget> {
  constructor(
    private readonly cache: DedupCache,
    private readonly admission: AdmissionQueue<CallEntry>,
    private readonly work: HandlerWork<T>,
    private readonly replies: ReplySender,
    private readonly counters: CallCounters,
    private readonly policy: DedupPolicy,
  ) {}

  /** Handles every entry whose timer is due at `now`. */
  expire(now: number): void {
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
        this.work.abort(entry, 'deadline');
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
  }

  // The call's deadline was clamped to ours, so the client waits longer than
  // we allow: answer, so it stops asking.
  private replyDeadlineClamped(entry: CallEntry, now: number): void {
    const message = `the server allows at most ${this.policy.maxDeadlineMs} ms per call`;
    this.replies.replyError(entry, { ok: false, code: 'DEADLINE_EXCEEDED', message }, now);
  }
}
