import { takeReplyMetadata } from './reply-metadata.js';
import type { Metadata } from '../wire/metadata.js';
import { bytesIO } from '../wire/byte-io.js';
import { Flag, FrameType } from '../wire/frame-header.js';
import type { Frame } from '../wire/frame.js';
import { decodeErrorBody } from '../wire/error-body.js';
import type { FragmentAck } from '../wire/fragment-ack.js';
import { ACK_REQUESTED } from '../recovery/outgoing-transfer.js';
import { codeFromNumber, RpcError } from '../errors.js';
import type { PeerAddress } from '../transport/transport.js';
import { finish, isLiveRefusal, pushBack } from './call-lifecycle.js';
import type { ClientState } from './client-state.js';
import { onAnswer } from './early-loss.js';
import { onGroupReply, sendValidateEcho } from './group-reply.js';
import type { PendingCall } from './pending-call.js';
import { restartBackoff } from './transmission.js';

// What the server's frames for a call mean to it (protocol.md §3.2, §5, §7):
// a reply ends it, an ACK slows its probing, a refusal pushes it back, a
// fragment or fragment ack moves its transfer on, a challenge is echoed.

/**
 * A RESPONSE, ERROR, ACK, VALIDATE or FRAGMENT_ACK (its body `ack` already
 * decoded) for one of our calls: checks it is one, times the path (Karn) and
 * hands it on by type.
 */
export function onReply(s: ClientState, frame: Frame, from: PeerAddress, now: number, ack?: FragmentAck): void {
  const call = s.pending.get(frame.id);
  if (call === undefined || call.session !== frame.session) return s.drop('unknown-call', from);
  if (call.group !== undefined) return onGroupReply(s, call, frame, from);
  if (call.peer.port !== from.port || call.peer.address !== from.address) return s.drop('wrong-peer', from);
  call.peerState.refusals = 0; // a sign of life
  if (!call.peerState.answered) {
    call.peerState.answered = true;
    // The server exists: its path MTU search starts (§7.5).
    s.pmtu?.bytesFor(call.peer, call.peerKey, now);
  }
  if (frame.type === FrameType.ERROR && (frame.flags & Flag.REJECTED) !== 0 && !isLiveRefusal(call, frame.attempt)) return s.drop('duplicate', from);
  // A pushed-back call waits out the pause (§8.1): acks of the refused round
  // must not make it send (a final reply, should a delayed copy have run, still ends it).
  if (call.queued && (frame.type === FrameType.ACK || frame.type === FrameType.FRAGMENT_ACK)) return s.drop('duplicate', from);
  const ofLatest = sampleRtt(call, frame.attempt, now);
  // A VALIDATE is a challenge, not an answer: the call stays a loss candidate.
  if (frame.type !== FrameType.VALIDATE) onAnswer(s, call, ofLatest, now);
  if (frame.type === FrameType.ACK) return onAcked(s, call, frame.body, now);
  if (frame.type === FrameType.VALIDATE) return sendValidateEcho(s, frame, call.peer);
  if (ack !== undefined) return onFragmentAck(s, call, ack, frame.attempt, now);
  if (frame.fragment !== undefined) return onReplyFragment(s, call, frame, now);
  onWholeReply(s, call, frame.type, frame.flags, frame.body, from, now);
}

/**
 * Karn's rule, made exact by the echoed attempt number: only an answer to
 * the call's latest transmission times it, and only once — the reply that
 * follows an ACK echoes the same attempt but includes the handler's time.
 * A request in fragments is timed by its fragments instead (timed-transfer.ts,
 * into the same peer estimator): its fragments go out over the transfer's
 * life, so now − its first send would time the transfer, not the path.
 * Returns whether the answer is to the latest transmission.
 */
function sampleRtt(call: PendingCall, echoedAttempt: number, now: number): boolean {
  const ofLatest = echoedAttempt === call.attempt - 1 && echoedAttempt < 255;
  if (ofLatest && call.out === undefined && call.sampledAttempt !== call.attempt) {
    call.sampledAttempt = call.attempt;
    call.rtt.sample(now - call.lastSentAt);
  }
  return ofLatest;
}

function onAcked(s: ClientState, call: PendingCall, body: Uint8Array, now: number): void {
  // The server's incarnation (protocol.md §5.4); calls started from now on carry it.
  if (body.length >= 4) {
    const incarnation = bytesIO.readU32(body, 0);
    if (incarnation !== 0) call.peerState.incarnation = incarnation;
  }
  call.unacked = 0;
  if (call.out !== undefined && !call.out.complete) call.out.acknowledgeAll();
  if (!call.acked) {
    call.acked = true;
    restartBackoff(s, call, now);
  }
  s.hooks.onAck?.({ id: call.id, peer: call.peer });
}

// The server acknowledges fragments of our request.
function onFragmentAck(s: ClientState, call: PendingCall, ack: FragmentAck, attempt: number, now: number): void {
  if (call.out === undefined || ack.ackedType !== FrameType.REQUEST) return s.drop('unexpected-frame', call.peer);
  // Progress (or the whole request delivered): the next timeout is one RTO away again.
  if (!s.requests.onAck(call, call.out, ack, attempt, now)) return;
  call.unacked = 0;
  restartBackoff(s, call, now);
}

function onReplyFragment(s: ClientState, call: PendingCall, frame: Frame, now: number): void {
  // A server sending smaller fragments than the path carries lost track of it (§7.5).
  s.pmtu?.onReplyFragment(call.peerKey, frame.fragment!, now);
  const result = s.replies.offer(call, frame, now);
  switch (result.status) {
    case 'refused':
      s.counters.errors++;
      s.sendCancel(call);
      return finish(s, call, { ok: false, error: s.replies.refusal(result) });
    case 'mismatch':
      return s.drop('malformed', call.peer);
    case 'duplicate':
      return;
    case 'added':
      // Progress: the next stall probe is one RTO away again. A reply also
      // means the server has the whole request: its transfer's timer stops.
      if (!call.receivingReply && call.out !== undefined && !call.out.complete) call.out.acknowledgeAll();
      call.receivingReply = true;
      call.unacked = 0;
      restartBackoff(s, call, now);
      if ((frame.flags & ACK_REQUESTED) !== 0 && result.reassembly.hasGaps) {
        // The sender's burst ended with holes in it: if they are not filled
        // within about an RTT, ask for them (a STALLED ack). The server's
        // own probe timer (reply-transfer.ts) starts later, after a PTO,
        // so the receiver that sees the holes asks first.
        const soon = now + Math.max(1, 1.25 * (call.rtt.srttMs ?? call.rtt.rtoMs));
        if (soon < call.timerAt) s.timers.set(call, soon);
      }
      return;
    case 'complete':
      return onWholeReply(s, call, frame.type, frame.flags & Flag.HAS_METADATA, result.body, call.peer, now);
  }
}

/** A whole RESPONSE or ERROR (reassembled, or in one datagram): the call ends, or is pushed back. */
function onWholeReply(s: ClientState, call: PendingCall, type: number, flags: number, replyBody: Uint8Array, from: PeerAddress, now: number): void {
  let metadata: Metadata | undefined;
  if ((flags & Flag.HAS_METADATA) !== 0) {
    const split = takeReplyMetadata(replyBody, s.maxMetadataBytes);
    if (split instanceof RpcError) {
      s.counters.errors++;
      return finish(s, call, { ok: false, error: split });
    }
    if (typeof split === 'string') return s.drop(split, from);
    metadata = split.metadata;
    replyBody = split.rest;
  }
  if (type === FrameType.RESPONSE) {
    s.counters.responses++;
    return finish(s, call, metadata === undefined ? { ok: true, payload: replyBody } : { ok: true, payload: replyBody, metadata });
  }
  const body = decodeErrorBody(replyBody);
  if (!body.ok) return s.drop(body.error, from);
  const e = body.value;
  const rejected = (flags & Flag.REJECTED) !== 0;
  if (rejected && e.details.length === 4) {
    // The refusing incarnation checked this copy against the restart rule
    // and kept nothing: the next round names it, so it is not refused as a
    // retransmission that may predate the server (protocol.md §5.3, §6.3).
    const incarnation = bytesIO.readU32(e.details, 0);
    if (incarnation !== 0) call.incarnation = call.peerState.incarnation = incarnation;
  }
  // MAY_HAVE_RUN forbids sending the call again (§3.2), even next to REJECTED (a broken server).
  if (rejected && (flags & Flag.MAY_HAVE_RUN) === 0 && e.retryAfterMs > 0 && pushBack(s, call, e.retryAfterMs, now)) return;
  s.counters.errors++;
  // The server no longer recognises this session's calls: new calls go in a new one.
  if ((flags & Flag.SESSION_STALE) !== 0 && call.session === s.session) s.renewSession();
  // Refused as possibly run before a restart: the incarnation we knew may be
  // an old one. Calls started from now on reached only this server (§6.3).
  if ((flags & Flag.MAY_HAVE_RUN) !== 0 && call.peerState.incarnation === call.incarnation) call.peerState.incarnation = 0;
  const error = new RpcError(codeFromNumber(e.code), e.message, {
    remote: true,
    ...(e.retryAfterMs > 0 ? { retryAfterMs: e.retryAfterMs } : {}),
    ...((flags & Flag.MAY_HAVE_RUN) !== 0 ? { mayHaveRun: true } : rejected ? { refused: true } : {}),
    ...(metadata === undefined ? {} : { metadata }),
  });
  finish(s, call, { ok: false, error, detailsBytes: rejected ? new Uint8Array(0) : e.details });
}
