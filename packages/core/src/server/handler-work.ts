import type { AdmissionQueue } from '../flowcontrol/admission-queue.js';
import { CallEntry, CallState } from './call-entry.js';
import type { IncomingCall, MethodTarget, ServerEngineHooks } from './server-engine-types.js';

// What the server engine decided that the handler hooks must hear: calls to
// start and handlers to abort, held until the host calls deliver() after the
// engine call, so that no hook runs inside receive, respond or onTimer
// (CONVENTIONS.md 15).

/**
 * An entry as the call the hooks get: its `target` is what `hooks.resolve`
 * returned, so it is a `T` (the entry's own type only says MethodTarget).
 */
function asCall<T extends MethodTarget>(entry: CallEntry): IncomingCall<T> {
  return entry as IncomingCall as IncomingCall<T>;
}

/** A running handler to abort, waiting for {@link HandlerWork.deliver}. */
interface AbortNote {
  readonly call: CallEntry;
  readonly reason: 'deadline' | 'cancelled';
}

/** The server engine's queue of handler starts and aborts, in the order it decided them. */
export class HandlerWork<T extends MethodTarget> {
  /**
   * What {@link deliver} hands to the hooks, in the order the engine decided
   * it: a call to start (its entry) or a handler to abort.
   */
  private readonly work: (CallEntry | AbortNote)[] = [];
  private workHead = 0;

  constructor(private readonly hooks: ServerEngineHooks<T>) {}

  /** A call that took a handler slot: its handler starts at the next delivery. */
  start(entry: CallEntry): void {
    this.work.push(entry);
  }

  /** A running handler to tell to stop at the next delivery. */
  abort(call: CallEntry, reason: 'deadline' | 'cancelled'): void {
    this.work.push({ call, reason });
  }

  /**
   * Hands what was decided since the last delivery to `hooks.onCall` and
   * `hooks.onAbort`, in order (see `ServerEngine.deliver`). A call cancelled
   * before its handler started gives its slot in `admission` back instead.
   */
  deliver(admission: AdmissionQueue<CallEntry>): void {
    const work = this.work;
    while (this.workHead < work.length) {
      const item = work[this.workHead++]!;
      if (!(item instanceof CallEntry)) {
        // Only a handler still holding its slot is running: one skipped below,
        // or one that has answered already, has nothing to abort.
        if (item.call.holdsSlot) this.hooks.onAbort?.(asCall<T>(item.call), item.reason);
      } else if (item.state === CallState.Running) {
        this.hooks.onCall(asCall<T>(item));
      } else {
        // Cancelled before its handler started (a REQUEST and its CANCEL in
        // one BATCH): it never runs, and its slot goes to the next call.
        admission.release(item);
      }
    }
    work.length = 0;
    this.workHead = 0;
  }
}
