import { withMetadataBlock } from '../wire/metadata.js';
import { RpcError } from '../errors.js';
import type { MessageBody } from '../recovery/message-body.js';
import type { RetryPolicy } from '../recovery/retry-policy.js';
import { decodeFragmentAck } from '../wire/fragment-ack.js';
import { Flag, FrameType, HEADER_BYTES } from '../wire/frame-header.js';
import { parseFrame, type Frame } from '../wire/frame.js';
import { encodeRequestFrame, NO_SPAN, REQUEST_FIXED_BYTES } from '../wire/request-body.js';
import { splitBatch } from '../wire/batch.js';
import { peerKey, type PeerAddress } from '../transport/transport.js';
import { parsePmtuProbeReply } from '../wire/pmtu-probe.js';
import { cancelCall } from './call-lifecycle.js';
import { onCallTimers } from './call-timers.js';
import type { CallOutcome, CallRequest, GroupCollector } from './call-types.js';
import type { ClientEngineOptions } from './client-engine-options.js';
import type { ClientEngineStats, PeerRtt } from './client-engine-stats.js';
import { ClientState } from './client-state.js';
import { newPendingCall } from './pending-call.js';
import { onReply } from './reply-handling.js';
import { onGoAway } from './goaway-handling.js';
import { transmit } from './transmission.js';
import { onUnreachable } from './port-unreachable.js';

export type { CallOutcome, CallRequest, GroupCollector } from './call-types.js';
export type { ClientEngineHooks, ClientEngineOptions } from './client-engine-options.js';
export type { ClientEngineStats, PeerRtt } from './client-engine-stats.js';

/**
 * The client half of the protocol, free of I/O: requests and datagrams in,
 * datagrams and one timer deadline out. It owns message ids, retransmission
 * with per-peer adaptive RTO and backoff, the retry budget and deadlines.
 *
 * This class is the engine's entry points; the work is done in this folder's
 * modules over one shared `ClientState` (client-state.ts): transmission.ts (sending and
 * backoff), call-lifecycle.ts (window, queue, pushback, ending),
 * call-timers.ts (what a call's timer firing means), early-loss.ts (§7.2
 * loss detection), reply-handling.ts and group-reply.ts (what the server's
 * frames mean), port-unreachable.ts (ICMP refusals).
 */
export class ClientEngine {
  private readonly s: ClientState;

  constructor(options: ClientEngineOptions) {
    this.s = new ClientState(options);
  }

  /** Largest datagram this engine sends. */
  get maxDatagramBytes(): number {
    return this.s.maxDatagramBytes;
  }

  /** Largest request or reply it accepts, after reassembly. */
  get maxMessageBytes(): number {
    return this.s.maxMessageBytes;
  }

  /** Codec id of every request's payload (protocol.md §5.7). */
  get codec(): number {
    return this.s.codec;
  }

  /** The session number new calls are sent in. */
  get session(): number {
    return this.s.session;
  }

  /**
   * Starts a call. Returns its id, or an error (without calling `settle`) when
   * the request cannot be sent at all. `settle` is called exactly once, with
   * the outcome and how many times the request was transmitted.
   */
  call(req: CallRequest, now: number, settle: (outcome: CallOutcome, transmissions: number) => void, group?: GroupCollector): number | RpcError {
    const s = this.s;
    s.lastNow = now;
    if (req.deadlineAt <= now) return new RpcError('DEADLINE_EXCEEDED', 'deadline passed before the call was sent');
    // The metadata block goes between the method name and the payload (protocol.md §5.8).
    if (req.metadata !== undefined) req = { ...req, payload: withMetadataBlock(req.metadata, req.payload) };
    let body: MessageBody | undefined;
    if (HEADER_BYTES + REQUEST_FIXED_BYTES + req.method.length + req.payload.length > s.maxDatagramBytes) {
      const encoded = s.requests.encode(req, now, s.spanFor(s.ids.peek()), s.peers.get(req.peer)?.incarnation ?? 0, group !== undefined);
      if (encoded instanceof RpcError) return encoded;
      body = encoded;
    }
    const peer = s.peers.of(req.peer);
    // Every call to a server that has answered keeps its path MTU search
    // going (§7.5); none probes a server that never did (no search toward
    // nothing, and no ICMP refusals of probes counted against its calls).
    if (peer.answered) s.pmtu?.bytesFor(req.peer, peer.key, now);
    const flow = s.flow;
    const sendNow = peer.queued === 0 && peer.canSend(flow, now);
    if (!sendNow && (flow.whenFull === 'fail' || peer.queued >= flow.maxQueuedPerPeer)) {
      return new RpcError(
        'RESOURCE_EXHAUSTED',
        now < peer.pausedUntil
          ? `the server asked for a pause of ${Math.ceil(peer.pausedUntil - now)} ms`
          : `${peer.inFlight} calls in flight and ${peer.queued} queued to this server; the limits are ${flow.maxInFlightPerPeer} and ${flow.whenFull === 'fail' ? 0 : flow.maxQueuedPerPeer}`,
      );
    }
    const id = s.ids.allocate(s.isPending);
    const call = newPendingCall(
      {
        id,
        session: s.session,
        incarnation: peer.incarnation,
        peer: req.peer,
        peerState: peer,
        method: req.method,
        payload: req.payload,
        flags: req.metadata === undefined ? 0 : Flag.HAS_METADATA,
        deadlineAt: req.deadlineAt,
        settle,
        group: group === undefined ? undefined : { collector: group, seen: new Set() },
      },
      now,
    );
    if (body !== undefined) s.requests.start(call, body);
    s.pending.set(id, call);
    s.counters.calls++;
    s.budget.onCall(s.pending.size);
    if (sendNow) {
      peer.inFlight++;
      transmit(s, call, now);
    } else {
      call.queued = true;
      peer.enqueue(call);
      s.timers.set(call, now < peer.pausedUntil ? Math.min(call.deadlineAt, peer.pausedUntil) : call.deadlineAt);
    }
    return id;
  }

  /** Sends a one-way request (no reply, no retransmission: at most once, maybe never). */
  notify(req: Omit<CallRequest, 'deadlineAt'> & { deadlineAt?: number }, now: number): RpcError | undefined {
    const s = this.s;
    s.lastNow = now;
    if (req.metadata !== undefined) req = { ...req, payload: withMetadataBlock(req.metadata, req.payload) };
    const size = HEADER_BYTES + REQUEST_FIXED_BYTES + req.method.length + req.payload.length;
    if (size > s.maxDatagramBytes) {
      // Notifications are never retransmitted, so they are never fragmented either.
      return new RpcError('RESOURCE_EXHAUSTED', `notification is ${size} bytes, above the ${s.maxDatagramBytes}-byte datagram limit`);
    }
    const id = s.ids.allocate(s.isPending);
    const remaining = req.deadlineAt === undefined ? 0xffffffff : Math.max(1, Math.ceil(req.deadlineAt - now));
    const header = { type: FrameType.REQUEST, flags: req.metadata === undefined ? Flag.NO_REPLY : Flag.NO_REPLY | Flag.HAS_METADATA, attempt: 0, session: s.session, id };
    const frame = encodeRequestFrame(header, remaining, req.method, req.payload, NO_SPAN, 0, s.codec);
    s.counters.notifications++;
    s.send(frame, req.peer);
    return undefined;
  }

  /**
   * Ends a call locally (abort signal, client close). Sends a best-effort
   * CANCEL so the server can stop the handler. No-op for settled calls.
   */
  cancel(id: number, now: number, error: RpcError = new RpcError('CANCELLED', 'call cancelled')): void {
    this.s.lastNow = now;
    const call = this.s.pending.get(id);
    if (call !== undefined) cancelCall(this.s, call, error);
  }

  /**
   * The network reported that nothing listens at `peer` (an ICMP port
   * unreachable; see {@link RetryPolicy.maxRefusals}). After that many in a
   * row, with no reply from the peer in between, every call to it fails with
   * UNAVAILABLE. No CANCEL is sent: there is nobody to tell.
   */
  unreachable(peer: PeerAddress, now: number): void {
    const s = this.s;
    s.lastNow = now;
    onUnreachable(s, peer, now);
  }

  /** Cancels every call in flight (client shutdown). */
  cancelAll(now: number, error: RpcError): void {
    const s = this.s;
    s.closing = true;
    for (const call of [...s.pending.values()]) {
      // A settle callback may have finished another call meanwhile.
      if (s.pending.get(call.id) === call) cancelCall(s, call, error);
    }
    s.lastNow = now;
  }

  /** Feeds one received datagram. Never throws. */
  receive(bytes: Uint8Array, from: PeerAddress, now: number): void {
    this.s.lastNow = now;
    const decoded = parseFrame(bytes);
    if (typeof decoded === 'string') return this.s.drop(decoded, from);
    if (decoded.type !== FrameType.BATCH) return this.handle(decoded, from, now);
    const frames = splitBatch(decoded.body);
    if (!frames.ok) return this.s.drop(frames.error, from);
    for (const bytesOfOne of frames.value) {
      const one = parseFrame(bytesOfOne);
      if (typeof one !== 'string') this.handle(one, from, now);
      else this.s.drop(one, from);
    }
  }

  private handle(frame: Frame, from: PeerAddress, now: number): void {
    switch (frame.type) {
      case FrameType.RESPONSE:
      case FrameType.ERROR:
      case FrameType.ACK:
      case FrameType.VALIDATE:
        return onReply(this.s, frame, from, now);
      case FrameType.GOAWAY:
        return onGoAway(this.s, frame, from);
      case FrameType.FRAGMENT_ACK: {
        // Body first: a bad ack counts as truncated or malformed whatever
        // call it names, and never yields an RTT sample (protocol.md §11).
        const ack = decodeFragmentAck(frame.body);
        if (!ack.ok) return this.s.drop(ack.error, from);
        return onReply(this.s, frame, from, now, ack.value);
      }
      case FrameType.PONG:
        return this.onProbeAnswer(frame, from, now);
      default:
        return this.s.drop('unexpected-frame', from);
    }
  }

  /** Runs every timer due at `now`: retransmissions and deadlines. */
  onTimer(now: number): void {
    const s = this.s;
    s.lastNow = now;
    onCallTimers(s, now);
    s.requests.onTimer(now);
    s.pmtu?.onTimer(now);
  }

  // A PONG answering a path MTU probe (§7.5); any other PONG is unexpected.
  private onProbeAnswer(frame: Frame, from: PeerAddress, now: number): void {
    const bytes = parsePmtuProbeReply(frame);
    // A plain PONG answers a liveness PING of the layer above (a multi-endpoint client's router): nothing for the engine.
    if (bytes === undefined && (frame.flags & Flag.PMTU_PROBE) === 0) return;
    const pmtu = this.s.pmtu;
    if (pmtu === undefined || bytes === undefined) return this.s.drop('unexpected-frame', from);
    if (!pmtu.onAnswer(peerKey(from), frame.id, bytes, now)) this.s.drop('unknown-call', from);
  }

  /** When `onTimer` next needs to run, or undefined when nothing is pending. */
  nextTimerAt(): number | undefined {
    const call = this.s.timers.peek()?.timerAt;
    const transfer = this.s.requests.nextTimerAt();
    const first = transfer === undefined || (call !== undefined && call <= transfer) ? call : transfer;
    const probe = this.s.pmtu?.nextTimerAt();
    return probe === undefined || (first !== undefined && first <= probe) ? first : probe;
  }

  /** Number of calls awaiting their outcome. */
  get inFlight(): number {
    return this.s.pending.size;
  }

  /** A snapshot of the counters. */
  stats(): ClientEngineStats {
    const s = this.s;
    let queued = 0;
    for (const call of s.pending.values()) if (call.queued) queued++;
    const window = { inFlight: 0, queued: 0 };
    for (const peer of s.peers.values()) {
      window.inFlight += peer.inFlight;
      window.queued += peer.queued;
    }
    return {
      ...s.counters,
      window,
      requestLossResends: s.requests.timers.lossResends,
      requestProbes: s.requests.timers.probes,
      pmtuProbes: s.pmtu?.probesSent ?? 0,
      pmtuProbesLost: s.pmtu?.probesLost ?? 0,
      pmtuBlackHoles: s.pmtu?.blackHoles ?? 0,
      inFlight: s.pending.size - queued,
      queued,
      drops: { ...s.drops },
      retryBudget: s.budget.state(s.lastNow),
    };
  }

  /** Smoothed RTT and RTO known for a peer, if any. */
  peerTiming(peer: PeerAddress): PeerRtt | undefined {
    const rtt = this.s.peers.get(peer)?.rtt;
    return rtt === undefined ? undefined : { srttMs: rtt.srttMs, rtoMs: rtt.rtoMs };
  }
}
