import { FrameType, type FrameHeader } from '../wire/frame-header.js';
import { encodeRequestFrame } from '../wire/request-body.js';
import type { ClientState } from './client-state.js';
import type { PendingCall } from './pending-call.js';

// One transmission of a call and the timer that follows it (protocol.md
// §7.2): same id every time, the attempt number counting transmissions, and
// the next retransmission after an exponentially backed-off, jittered delay.

/** Sends `call` once more (or for the first time) and arms its next retransmission. */
export function transmit(s: ClientState, call: PendingCall, now: number): void {
  if (call.attempt === 0) call.firstSentAt = now;
  call.attempt++;
  call.unacked++;
  call.lastSentAt = now;
  call.lossArmed = false;
  // Only a call the engine resends whole, and whose server has not said it
  // has it, can be declared lost early; fragment transfers keep their own timers.
  if (call.out === undefined && call.group === undefined && !call.acked && !call.receivingReply) call.peerState.loss.sent(call);
  else call.peerState.loss.remove(call);
  const header: FrameHeader = { type: FrameType.REQUEST, flags: call.flags, attempt: call.attempt - 1, session: call.session, id: call.id };
  if (call.receivingReply) {
    // The reply is arriving in fragments and stalled: ask for the missing ones.
    s.replies.stalled(call, header.attempt);
  } else if (call.out === undefined) {
    const remaining = Math.max(1, Math.ceil(call.deadlineAt - now));
    s.send(encodeRequestFrame(header, remaining, call.method, call.payload, s.spanFor(call.id), call.incarnation, s.codec), call.peer);
  } else {
    s.requests.transmit(call, call.out, header, now);
  }
  schedule(s, call, now);
}

/**
 * Arms `call`'s next retransmission: exponential backoff (capped) with
 * jitter; after an ACK, slow probing only to recover a lost reply. Never past
 * the deadline.
 */
export function schedule(s: ClientState, call: PendingCall, now: number): void {
  const policy = s.policy;
  const rto = call.rtt.rtoMs;
  const delay = call.backoffMs;
  // The server has the request (acked): probe only to recover a lost reply,
  // from one RTO up to the slow probe interval. Jumping straight to the slow
  // interval would cost a quick handler whose reply is lost a whole second.
  const cap = call.acked ? Math.max(policy.ackedProbeIntervalMs, rto) : Math.max(policy.maxBackoffMs, rto);
  call.backoffMs = Math.min(cap, call.backoffMs * policy.backoffMultiplier);
  const j = policy.jitterRatio;
  call.nextSendAt = now + delay * (1 - j + 2 * j * s.random());
  s.timers.set(call, Math.min(call.nextSendAt, call.deadlineAt));
}

/** Restarts `call`'s backoff from the RTO (progress, or a new kind of wait) and re-arms its timer. */
export function restartBackoff(s: ClientState, call: PendingCall, now: number): void {
  call.backoffMs = call.rtt.rtoMs;
  schedule(s, call, now);
}
