import { Flag, FrameType } from '../wire/frame-header.js';
import { encodeFrame, type Frame } from '../wire/frame.js';
import { decodeErrorBody } from '../wire/error-body.js';
import type { Metadata } from '../wire/metadata.js';
import { takeReplyMetadata } from './reply-metadata.js';
import { codeFromNumber, RpcError } from '../errors.js';
import { peerKey, type PeerAddress } from '../transport/transport.js';
import type { CallOutcome } from './call-types.js';
import { finish } from './call-lifecycle.js';
import type { ClientState } from './client-state.js';
import type { PendingCall } from './pending-call.js';

const EMPTY = new Uint8Array(0);

/**
 * A frame for a group call (protocol.md §6.6): any server may answer, each
 * once; replies must fit one datagram. The call ends when `maxReplies` have
 * answered (or at its deadline).
 */
export function onGroupReply(s: ClientState, call: PendingCall, frame: Frame, from: PeerAddress): void {
  const group = call.group!;
  if (frame.type === FrameType.VALIDATE) return sendValidateEcho(s, frame, from);
  if (frame.type !== FrameType.RESPONSE && frame.type !== FrameType.ERROR) return;
  if (frame.fragment !== undefined) return s.drop('malformed', from);
  const key = peerKey(from);
  if (group.seen.has(key)) return s.drop('duplicate', from);
  let outcome: CallOutcome;
  let replyBody = frame.body;
  let metadata: Metadata | undefined;
  if ((frame.flags & Flag.HAS_METADATA) !== 0) {
    // A member's reply with metadata above the cap is dropped: the other members' replies still count.
    const split = takeReplyMetadata(replyBody, s.maxMetadataBytes);
    if (split instanceof RpcError) return s.drop('oversize', from);
    if (typeof split === 'string') return s.drop(split, from);
    metadata = split.metadata;
    replyBody = split.rest;
  }
  if (frame.type === FrameType.RESPONSE) {
    outcome = metadata === undefined ? { ok: true, payload: replyBody } : { ok: true, payload: replyBody, metadata };
  } else {
    const body = decodeErrorBody(replyBody);
    if (!body.ok) return s.drop(body.error, from);
    const error = new RpcError(codeFromNumber(body.value.code), body.value.message, { remote: true, ...(metadata === undefined ? {} : { metadata }) });
    outcome = { ok: false, error, detailsBytes: body.value.details };
  }
  group.seen.add(key);
  s.counters.responses++;
  // Someone answered, so the request got out: from now on only probe
  // slowly for members whose reply was lost (each probe makes every member
  // resend its cached reply).
  call.acked = true;
  group.collector.onReply(from, outcome);
  if (group.seen.size >= group.collector.maxReplies) finish(s, call, { ok: true, payload: EMPTY });
}

/** The server proves we own our address by having us echo its token (protocol.md §8.3). */
export function sendValidateEcho(s: ClientState, frame: Frame, to: PeerAddress): void {
  s.counters.validations++;
  s.send(encodeFrame({ ...frame, flags: 0, type: FrameType.VALIDATE_ECHO }, frame.body), to);
}
