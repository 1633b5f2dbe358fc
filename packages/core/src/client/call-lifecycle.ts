import { RpcError } from '../errors.js';
import type { PeerState } from '../flowcontrol/peer-state.js';
import type { CallOutcome } from './call-types.js';
import type { ClientState } from './client-state.js';
import type { PendingCall } from './pending-call.js';
import { transmit } from './transmission.js';

// How a call holds and gives back its place in its server's window
// (protocol.md §8.1): it ends (once, settling its caller), waits in the
// queue, or is pushed back by the server and queued again.

/** Ends `call` with `outcome`: every trace of it goes, its window slot passes on, its caller is settled. */
export function finish(s: ClientState, call: PendingCall, outcome: CallOutcome): void {
  s.pending.delete(call.id);
  call.peerState.loss.remove(call);
  s.timers.delete(call);
  if (call.out !== undefined) call.out.stop();
  if (call.receivingReply) s.replies.discard(call);
  if (call.queued) call.peerState.forget();
  else call.peerState.inFlight--;
  drain(s, call.peerState, s.lastNow);
  call.settle(outcome, call.attempt);
}

/** No reply in time: tells the server (best effort) and fails the call. */
export function giveUp(s: ClientState, call: PendingCall, error: RpcError): void {
  s.counters.timeouts++;
  s.hooks.onTimeout?.({ id: call.id, peer: call.peer, attempts: call.attempt });
  s.sendCancel(call);
  finish(s, call, { ok: false, error });
}

/** Ends a call its caller gave up on (abort, close), telling the server. */
export function cancelCall(s: ClientState, call: PendingCall, error: RpcError): void {
  s.counters.cancelled++;
  s.sendCancel(call);
  finish(s, call, { ok: false, error });
}

/** Starts queued calls while the peer's window has room and no pause holds. */
export function drain(s: ClientState, peer: PeerState<PendingCall>, now: number): void {
  if (s.closing) return;
  const live = (c: PendingCall): boolean => s.pending.get(c.id) === c && c.queued;
  for (let next = peer.peek(live); next !== undefined; next = peer.peek(live)) {
    if (!peer.canSend(s.flow, now)) {
      // Wake up when the pause ends (or at the call's deadline).
      if (now < peer.pausedUntil) s.timers.set(next, Math.min(next.deadlineAt, peer.pausedUntil));
      return;
    }
    peer.shift();
    next.queued = false;
    peer.inFlight++;
    transmit(s, next, now);
  }
}

/**
 * The server refused the call before running it and asked us to wait
 * (protocol.md §8.1). If the deadline allows, the call goes back to the
 * front of the queue (same id); the whole peer pauses meanwhile. Returns
 * whether it did.
 */
export function pushBack(s: ClientState, call: PendingCall, retryAfterMs: number, now: number): boolean {
  const peer = call.peerState;
  peer.pausedUntil = Math.max(peer.pausedUntil, now + retryAfterMs);
  if (peer.pausedUntil >= call.deadlineAt) return false;
  s.counters.pushbacks++;
  s.hooks.onPushback?.({ id: call.id, peer: call.peer, attempt: call.attempt, retryAfterMs });
  if (call.receivingReply) s.replies.discard(call);
  // Same id: should a delayed copy of the refused request still reach the
  // server and run, the resend is then a duplicate it answers from cache.
  // Attempt numbers go on (a new round starts): a late or duplicated
  // refusal echoes an attempt of the old round and is ignored, and a server
  // that lost its state meanwhile sees a retransmission (§3.2, §6.3).
  call.roundStart = call.attempt;
  call.unacked = 0;
  call.acked = false;
  call.receivingReply = false;
  call.sampledAttempt = 0;
  call.backoffMs = call.rtt.rtoMs;
  if (call.out !== undefined) s.requests.start(call, call.out.body);
  peer.inFlight--;
  call.queued = true;
  peer.requeueFront(call);
  drain(s, peer, now);
  return true;
}

/**
 * Whether a REJECTED refusal is to be acted on (§8.1): once per round of
 * transmissions. A call already pushed back ignores further refusals (one
 * per refused fragment, a network duplicate), and so does a call whose
 * refusal echoes an attempt not sent in this round (a late copy of an
 * earlier round's refusal). Acting twice would free its window slot twice
 * and queue it twice.
 */
export function isLiveRefusal(call: PendingCall, echoedAttempt: number): boolean {
  // The attempt byte saturates at 255: beyond it, rounds cannot be told apart.
  return !call.queued && echoedAttempt >= Math.min(call.roundStart, 255) && echoedAttempt < call.attempt;
}
