import { RpcError } from '../errors.js';
import { drain, finish, giveUp } from './call-lifecycle.js';
import type { ClientState } from './client-state.js';
import { onLossTimer } from './early-loss.js';
import { schedule, transmit } from './transmission.js';

// What a call's timer means when it fires (protocol.md §7.2): the end of a
// pause, of a group call's collection window or of the deadline, an early
// loss, the last attempt, or a retransmission (if the retry budget allows).

const EMPTY = new Uint8Array(0);

/** Runs the timers of every call due at `now`. */
export function onCallTimers(s: ClientState, now: number): void {
  for (let call = s.timers.popDue(now); call !== undefined; call = s.timers.popDue(now)) {
    if (call.queued && now < call.deadlineAt) {
      // A pause ended: let the queue move. Until it does, the deadline rules.
      s.timers.set(call, call.deadlineAt);
      drain(s, call.peerState, now);
    } else if (now >= call.deadlineAt && call.group !== undefined) {
      // The collection window closed: a normal end for a group call.
      finish(s, call, { ok: true, payload: EMPTY });
    } else if (now >= call.deadlineAt) {
      giveUp(s, call, new RpcError('DEADLINE_EXCEEDED', `no reply within the deadline after ${call.attempt} attempt(s)`));
    } else if (call.lossArmed && now < call.nextSendAt) {
      onLossTimer(s, call, now);
    } else if (call.group === undefined && call.unacked >= s.policy.maxAttempts) {
      giveUp(s, call, new RpcError('UNAVAILABLE', `no reply from the server after ${call.attempt} attempts`));
    } else if (s.budget.tryRetry(now)) {
      s.counters.retransmits++;
      s.hooks.onRetry?.({ id: call.id, peer: call.peer, attempt: call.attempt, rtoMs: call.backoffMs });
      transmit(s, call, now);
    } else {
      // No token: skip this turn, as if it had been sent and lost.
      schedule(s, call, now);
    }
  }
}
