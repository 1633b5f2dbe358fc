import { LOSS_PACKET_THRESHOLD, lossDelayMs } from '../recovery/call-loss-detector.js';
import type { ClientState } from './client-state.js';
import type { PendingCall } from './pending-call.js';
import { transmit } from './transmission.js';

// Early loss detection for calls (protocol.md §7.2, after RFC 9002 §6.1):
// the engine's side of recovery/call-loss-detector.ts. An answer to a later
// call makes the earlier unanswered ones suspects; they are resent at once
// (packet threshold) or when their loss time comes (time threshold), before
// their RTO.

/**
 * `call` got an answer. If it answers the latest transmission, the calls
 * to the same peer sent before that transmission and still unanswered may
 * be lost: lost at once after LOSS_PACKET_THRESHOLD such answers, or once
 * the time threshold has passed since their own latest transmission; until
 * then their timer is armed at it.
 */
export function onAnswer(s: ClientState, call: PendingCall, ofLatest: boolean, now: number): void {
  call.lossArmed = false;
  const suspects = s.suspects;
  call.peerState.loss.answered(call, ofLatest, suspects);
  if (suspects.length === 0) return;
  const delay = lossDelayMs(call.rtt);
  for (let i = 0; i < suspects.length; i++) {
    const suspect = suspects[i]!;
    if (suspect.laterAnswered >= LOSS_PACKET_THRESHOLD) {
      retransmitLost(s, suspect, now);
      continue;
    }
    if (delay === undefined) continue;
    const lossAt = suspect.lastSentAt + delay;
    if (lossAt <= now) {
      suspect.peerState.loss.remove(suspect);
      retransmitLost(s, suspect, now);
    } else if (lossAt < suspect.timerAt) {
      suspect.lossArmed = true;
      s.timers.set(suspect, lossAt);
    }
  }
  suspects.length = 0;
}

/** The call's timer fired at its loss time threshold, before its RTO. */
export function onLossTimer(s: ClientState, call: PendingCall, now: number): void {
  call.lossArmed = false;
  const delay = lossDelayMs(call.rtt);
  // The RTT estimate moved since the timer was armed: check again.
  if (delay !== undefined && call.lastSentAt + delay > now) {
    const lossAt = call.lastSentAt + delay;
    if (lossAt < Math.min(call.nextSendAt, call.deadlineAt)) {
      call.lossArmed = true;
      s.timers.set(call, lossAt);
    } else {
      s.timers.set(call, Math.min(call.nextSendAt, call.deadlineAt));
    }
    return;
  }
  call.peerState.loss.remove(call);
  retransmitLost(s, call, now);
}

/**
 * Resends a call declared lost (no longer tracked by its peer's detector),
 * like a timer-driven retransmission: same id, next attempt, one budget
 * token. It was not a timeout, so the backoff restarts from the RTO
 * (RFC 9002 §6.2.1 resets its backoff when acknowledgements arrive).
 * Without a token, or with no attempt left, the call keeps its RTO timer.
 */
function retransmitLost(s: ClientState, call: PendingCall, now: number): void {
  call.lossArmed = false;
  if (now >= call.deadlineAt || call.unacked >= s.policy.maxAttempts || !s.budget.tryRetry(now)) {
    s.timers.set(call, Math.min(call.nextSendAt, call.deadlineAt));
    return;
  }
  s.counters.retransmits++;
  s.counters.lossRetransmits++;
  call.backoffMs = call.rtt.rtoMs;
  s.hooks.onRetry?.({ id: call.id, peer: call.peer, attempt: call.attempt, rtoMs: call.backoffMs });
  transmit(s, call, now);
}
