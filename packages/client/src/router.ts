import { RpcError, type Clock, type PeerAddress, type RetryPolicy, type TimerHandle } from '@udprpc/core';
import { encodeFrame, FrameType } from '@udprpc/core/wire';
import { RetryBudget, type CallOutcome, type ClientEngine } from '@udprpc/core/engine';
import { createBalancer } from './balancer.js';
import { DeadEndpointDetector } from './dead-endpoint-detector.js';
import { observeFailover, type ClientFailoverMessage } from './diagnostics.js';
import type { EjectionReason, HealthState } from './endpoint-health.js';
import { EndpointSet, MAX_DRAIN_HOLD_MS, REFUSAL_DRAIN_HOLD_MS, type Endpoint, type EndpointSnapshot } from './endpoint-set.js';
import { LatencyWindow } from './latency-window.js';
import { RoutedCall, type Attempt, type AttemptVerdict, type CallRouter, type RoutedRequest } from './routed-call.js';
import { LATENCY_SAMPLE_SIZE, MIN_LATENCY_SAMPLES, type RoutingPolicy } from './routing-policy.js';
import type { RoutingTimers } from './routing-timers.js';

/** Counters of a multi-endpoint client's routing (all 0 for a single-peer client). */
export interface RoutingStats {
  /** Calls moved to another endpoint after an attempt got no answer (or UNAVAILABLE). */
  failovers: number;
  /** Hedged attempts sent. */
  hedges: number;
  /** Calls answered first by their hedged attempt. */
  hedgesWon: number;
  /** Hedges not sent because the hedge budget was empty. */
  hedgesDenied: number;
  /** Endpoints taken out of rotation. */
  ejections: number;
  /** GOAWAYs heeded: an endpoint said it is draining and got no new calls (protocol.md §5.9). */
  goAways: number;
  /** Calls refused as going away by a draining endpoint and sent to another (any call: it did not run). */
  drainReroutes: number;
}

/** What the router reports as it works. */
export interface RouterHooks {
  onFailover?(info: { from: PeerAddress; to: PeerAddress; reason: RpcError }): void;
  onHedge?(info: { peer: PeerAddress; delayMs: number }): void;
  onHealth?(info: { peer: PeerAddress; state: HealthState }): void;
}

export { MAX_DRAIN_HOLD_MS, REFUSAL_DRAIN_HOLD_MS } from './endpoint-set.js';

export type { AttemptVerdict } from './routed-call.js';

/**
 * The multi-endpoint layer between a client's stub and its engine: the
 * endpoint list with health, the balancer, the latency window and the hedge
 * budget, shared by every {@link RoutedCall}. Pure apart from the injected
 * engine and clock.
 */
export class Router implements CallRouter {
  readonly endpoints: EndpointSet;
  closed = false;
  private readonly latency = new LatencyWindow(LATENCY_SAMPLE_SIZE);
  private readonly hedgeBudget: RetryBudget;
  private readonly byId = new Map<number, Attempt>();
  private readonly counters: RoutingStats = { failovers: 0, hedges: 0, hedgesWon: 0, hedgesDenied: 0, ejections: 0, goAways: 0, drainReroutes: 0 };
  private readonly detector: DeadEndpointDetector;
  /** Message id of the next PING probe (any id will do: the server echoes it, and a PONG only matters as a sign of life). */
  private pingId = 0;
  /** The keepalive sweep, armed while attempts are in flight. */
  private keepalive: TimerHandle | undefined;

  constructor(
    private readonly engine: ClientEngine,
    private readonly clock: Clock,
    /** Attempt, hedge and detection timers: in the heap the client's one timer driver serves. */
    private readonly timers: RoutingTimers,
    random: () => number,
    readonly policy: RoutingPolicy,
    private readonly retry: RetryPolicy,
    private readonly hooks: RouterHooks,
    /** Re-arms the engine's timer after the engine was given work. */
    private readonly kick: () => void,
    /** Sends a datagram (the engine's send path): PING probes of ejected endpoints. */
    private readonly send: (bytes: Uint8Array, to: PeerAddress) => void,
  ) {
    this.endpoints = new EndpointSet(policy.health, createBalancer(policy.balancer, random), random, (peer) => engine.peerTiming(peer));
    this.hedgeBudget = new RetryBudget(policy.hedging.budget);
    this.detector = new DeadEndpointDetector(
      {
        endpoints: this.endpoints,
        now: () => this.now(),
        setTimer: (delayMs, callback) => this.setTimer(delayMs, callback),
        // The RTO, but no more than minSilenceMs: a call's RTT sample can include
        // its handler's time (a reply to an unrepeated request), which says
        // nothing of how fast the server answers a retransmission or a PING.
        answerWindowMs: (endpoint) => Math.min(endpoint.rtoMs ?? retry.initialRtoMs, policy.health.minSilenceMs),
        onDead: (endpoint, reason, now) => this.eject(endpoint, reason, now),
      },
      policy.health,
      retry.maxRefusals,
    );
  }

  now(): number {
    return this.clock.now();
  }

  setTimer(delayMs: number, callback: () => void): TimerHandle {
    return this.timers.setTimer(delayMs, callback);
  }

  /**
   * Chooses (and counts as outstanding) the endpoint for a call's first
   * attempt; undefined when the list is empty. Give it back with
   * {@link Router.unreserve} if the call never starts.
   */
  reserve(idempotent: boolean): Endpoint | undefined {
    const endpoint = this.endpoints.pick(this.now(), idempotent);
    if (endpoint !== undefined) endpoint.outstanding++;
    return endpoint;
  }

  unreserve(endpoint: Endpoint): void {
    this.endpoints.release(endpoint);
  }

  /** Starts a logical call whose first attempt goes to the reserved `endpoint`. */
  run(req: RoutedRequest, endpoint: Endpoint, settle: (outcome: CallOutcome, transmissions: number) => void): RoutedCall {
    if (req.idempotent && this.policy.hedging.enabled) this.hedgeBudget.onCall();
    const call = new RoutedCall(this, req, settle);
    call.start(endpoint);
    return call;
  }

  /** @internal Hands one attempt to the engine: its id, or why it was not sent. */
  startAttempt(endpoint: Endpoint, req: RoutedRequest, settle: (outcome: CallOutcome, transmissions: number) => void): number | RpcError {
    const id = this.engine.call({ peer: endpoint.peer, method: req.method, payload: req.payload, deadlineAt: req.deadline, metadata: req.metadata }, this.now(), settle);
    if (typeof id === 'number') {
      req.trace?.ids.push(id);
      this.kick();
    }
    return id;
  }

  /** @internal */
  track(attempt: Attempt): void {
    this.byId.set(attempt.id, attempt);
    if (this.keepalive === undefined && this.policy.health.silentRetransmissions !== Infinity) this.armKeepalive();
  }

  /**
   * While attempts are in flight, an endpoint that has some of them and has
   * been silent for `minSilenceMs / silentRetransmissions` (50 ms by
   * default) gets a PING, at most one per such interval, which the
   * detector counts like a retransmission: a live server answers it at once.
   * Retransmissions alone are not enough, because the balancer stops giving
   * new calls to an endpoint whose calls pile up and the retry budget may
   * hold back the probes of the calls it has, so a dead endpoint can see
   * none for a long time; a PING is not budgeted and costs 14 bytes.
   */
  private armKeepalive(): void {
    const h = this.policy.health;
    this.keepalive = this.setTimer(h.minSilenceMs / h.silentRetransmissions, () => {
      this.keepalive = undefined;
      if (this.closed || this.byId.size === 0) return;
      const now = this.now();
      for (const endpoint of this.endpoints.list) {
        const live = endpoint.liveness;
        if (endpoint.outstanding <= 0 || endpoint.health.state(now) === 'ejected') continue;
        const every = h.minSilenceMs / h.silentRetransmissions;
        if (now - live.lastHeardAt < every || now - live.lastPingAt < every) continue;
        live.lastPingAt = now;
        this.ping(endpoint);
        this.detector.retransmitted(endpoint, now);
      }
      this.armKeepalive();
    });
  }

  private ping(endpoint: Endpoint): void {
    this.pingId = (this.pingId + 1) >>> 0;
    this.send(encodeFrame({ type: FrameType.PING, flags: 0, attempt: 0, session: this.engine.session, id: this.pingId }, new Uint8Array(0)), endpoint.peer);
  }

  /** @internal The engine refused the attempt before sending anything. */
  attemptNotSent(attempt: Attempt): void {
    attempt.endpoint.health.onNeutral(attempt.trial);
    this.endpoints.release(attempt.endpoint);
  }

  /** @internal Cancels an attempt in the engine (a CANCEL goes out if it was sent); its outcome follows at once. */
  cancelAttempt(attempt: Attempt, error: RpcError): void {
    this.engine.cancel(attempt.id, this.now(), error);
  }

  /**
   * @internal Books an ended attempt: endpoint health, latency sample,
   * bookkeeping. `cancelledByCall` when its call had already ended (a hedge
   * that lost, an abort): such an ending says nothing about the endpoint.
   */
  attemptEnded(attempt: Attempt, outcome: CallOutcome, now: number, cancelledByCall: boolean): AttemptVerdict {
    if (this.byId.get(attempt.id) === attempt) this.byId.delete(attempt.id);
    const endpoint = attempt.endpoint;
    this.endpoints.release(endpoint);
    const health = endpoint.health;
    // Moved off an ejected endpoint: the ejection already counted against it.
    if (attempt.abandoned) {
      health.onNeutral(attempt.trial);
      return 'unresponsive';
    }
    const verdict = cancelledByCall ? 'neutral' : classify(outcome);
    const before = health.state(now);
    const ejections = health.ejections;
    switch (verdict) {
      case 'success':
        this.latency.add(now - attempt.startedAt);
        health.onSuccess(attempt.trial);
        break;
      case 'answered':
        health.onSuccess(attempt.trial);
        break;
      case 'unresponsive':
        health.onFailure(now, attempt.trial, this.endpoints.mayEject(endpoint, now));
        break;
      case 'neutral':
        health.onNeutral(attempt.trial);
        break;
      case 'going-away':
        // Alive and answering, but leaving: no new calls for a while, no mark against its health.
        health.onNeutral(attempt.trial);
        endpoint.drainingUntil = Math.max(endpoint.drainingUntil, now + REFUSAL_DRAIN_HOLD_MS);
        break;
    }
    if (health.ejections !== ejections) this.ejected(endpoint, health.reason!);
    else if (before !== 'healthy' && health.state(now) === 'healthy') this.readmitted(endpoint, 'reply');
    return verdict;
  }

  /**
   * Takes `endpoint` out of rotation for `reason` — unless it is the last
   * one in rotation — and moves its idempotent calls in flight elsewhere.
   */
  private eject(endpoint: Endpoint, reason: EjectionReason, now: number): void {
    const state = endpoint.health.state(now);
    if (state === 'ejected' || (state === 'healthy' && !this.endpoints.mayEject(endpoint, now))) return;
    endpoint.health.eject(now, reason);
    this.ejected(endpoint, reason);
  }

  /**
   * After an ejection: the evidence is spent, and every idempotent attempt
   * still in flight there whose call can go elsewhere is cancelled and its
   * call moved on at once ({@link RoutedCall}). The others stay: a
   * non-idempotent request may have run there, so it may not go anywhere
   * else (docs/multi-endpoint.md); an idempotent call with no attempt or
   * endpoint left is better off waiting where it is.
   */
  private ejected(endpoint: Endpoint, reason: EjectionReason): void {
    this.counters.ejections++;
    endpoint.liveness.clear();
    const here: Attempt[] = [];
    for (const attempt of this.byId.values()) if (attempt.endpoint === endpoint && !attempt.settled) here.push(attempt);
    let moved = 0;
    const dead = reason === 'silent' || reason === 'refused';
    if (!this.closed) {
      const now = this.now();
      const move = new RpcError('UNAVAILABLE', `endpoint ejected (${reason}): the call moves to another endpoint`);
      const fail = new RpcError('UNAVAILABLE', `the endpoint stopped answering (${reason}); the call may have run there`, { mayHaveRun: true });
      for (const attempt of here) {
        if (attempt.settled) continue;
        if (this.policy.failover.enabled && attempt.movable(now)) {
          attempt.abandoned = true;
          moved++;
          this.cancelAttempt(attempt, move);
        } else if (dead && !attempt.idempotent) {
          // It may have run there, so it may not go elsewhere; waiting out its deadline on a dead server helps nobody.
          attempt.abandoned = true;
          this.cancelAttempt(attempt, fail);
        }
      }
      this.kick();
      if (dead) this.armProbe(endpoint);
    }
    this.report({ event: 'ejected', peer: endpoint.peer, reason, calls: here.length, moved }, 'ejected');
  }

  /**
   * An endpoint ejected for silence or refusals is probed back with PING
   * (protocol.md §5.4) when its ejection period ends: any answer brings it
   * back at once ({@link onDatagram}); none within twice its RTO (at least
   * `minSilenceMs`) ejects it again for twice as long, and so on up to
   * `maxEjectionMs`. No caller's call is risked on it meanwhile.
   */
  private armProbe(endpoint: Endpoint): void {
    const live = endpoint.liveness;
    live.probe?.cancel();
    live.probe = this.setTimer(endpoint.health.ejectionEndsAt - this.now(), () => {
      live.probe = undefined;
      if (this.closed || endpoint.removed || !endpoint.health.probedByPing) return;
      const sentAt = this.now();
      this.ping(endpoint);
      const windowMs = Math.max(2 * (endpoint.rtoMs ?? this.retry.initialRtoMs), this.policy.health.minSilenceMs);
      live.probe = this.setTimer(windowMs, () => {
        live.probe = undefined;
        if (this.closed || endpoint.removed || !endpoint.health.probedByPing || live.lastHeardAt >= sentAt) return;
        const reason = endpoint.health.reason ?? 'silent';
        endpoint.health.eject(this.now(), reason);
        this.ejected(endpoint, reason);
      });
    });
  }

  private readmitted(endpoint: Endpoint, reason: 'reply' | 'heard'): void {
    endpoint.liveness.probe?.cancel();
    endpoint.liveness.probe = undefined;
    let calls = 0;
    for (const attempt of this.byId.values()) if (attempt.endpoint === endpoint && !attempt.settled) calls++;
    this.report({ event: 'readmitted', peer: endpoint.peer, reason, calls, moved: 0 }, 'healthy');
  }

  private report(message: ClientFailoverMessage, state: HealthState): void {
    observeFailover(message);
    this.hooks.onHealth?.({ peer: message.peer, state });
  }

  /**
   * How long an ACK keeps an attempt alive past its timeout: the engine
   * probes an ACKed call every `ackedProbeIntervalMs` (×1.2 at most with
   * jitter), and each probe is answered with an ACK while the handler runs.
   */
  ackLivenessMs(endpoint: Endpoint): number {
    return this.retry.ackedProbeIntervalMs * 1.5 + (endpoint.rtoMs ?? this.retry.initialRtoMs);
  }

  /** The hedge delay now, or undefined when hedging is off or `'p95'` lacks samples. */
  hedgeDelayMs(): number | undefined {
    const h = this.policy.hedging;
    if (!h.enabled) return undefined;
    if (h.delayMs !== 'p95') return h.delayMs;
    return this.latency.size < MIN_LATENCY_SAMPLES ? undefined : this.latency.quantile(0.95);
  }

  /** @internal */
  takeHedgeToken(now: number): boolean {
    if (this.hedgeBudget.tryRetry(now)) return true;
    this.counters.hedgesDenied++;
    return false;
  }

  /** @internal */
  onFailover(from: Endpoint, to: Endpoint, reason: RpcError): void {
    this.counters.failovers++;
    this.hooks.onFailover?.({ from: from.peer, to: to.peer, reason });
  }

  /** @internal */
  onHedge(to: Endpoint, delayMs: number): void {
    this.counters.hedges++;
    this.hooks.onHedge?.({ peer: to.peer, delayMs });
  }

  /**
   * A GOAWAY from `peer` (the engine checked session, address and
   * incarnation, protocol.md §5.8): the endpoint at that address gets no new
   * calls for `drainMs` (at most {@link MAX_DRAIN_HOLD_MS}); its calls in
   * flight finish there.
   */
  onGoAway(peer: PeerAddress, drainMs: number, now: number): void {
    const endpoint = this.endpoints.find(peer);
    if (endpoint === undefined || endpoint.removed) return;
    this.counters.goAways++;
    endpoint.drainingUntil = Math.max(endpoint.drainingUntil, now + Math.min(drainMs, MAX_DRAIN_HOLD_MS));
  }

  /** @internal A call refused as going away moves to another endpoint. */
  onDrainReroute(): void {
    this.counters.drainReroutes++;
  }

  /** @internal */
  onHedgeWon(): void {
    this.counters.hedgesWon++;
  }

  /**
   * Sees each received datagram before the engine does, for its source
   * only: any datagram from an endpoint shows it is alive (dead-endpoint
   * detection, readmission of an endpoint ejected for silence).
   */
  onDatagram(from: PeerAddress, now: number): void {
    const endpoint = this.endpoints.find(from);
    if (endpoint === undefined) return;
    this.detector.heard(endpoint, now);
    if (endpoint.health.onHeard()) this.readmitted(endpoint, 'heard');
  }

  /**
   * The engine accepted an ACK for call `id` ("the handler is running"; its
   * `onAck` hook): if that call is one of our attempts, it stays in place
   * for a while (no failover). The engine has parsed and checked the frame
   * (session, id, sender); nothing is parsed again here.
   */
  onAcked(id: number, now: number): void {
    const attempt = this.byId.get(id);
    if (attempt !== undefined) attempt.lastAckAt = now;
  }

  /** The engine retransmitted a request to `peer` (its `onRetry` hook). */
  onRetransmit(peer: PeerAddress, now: number): void {
    const endpoint = this.endpoints.find(peer);
    if (endpoint !== undefined) this.detector.retransmitted(endpoint, now);
  }

  /** The transport reported an ICMP refusal from `peer`. Call before the engine hears of it. */
  onUnreachable(peer: PeerAddress, now: number): void {
    const endpoint = this.endpoints.find(peer);
    if (endpoint !== undefined) this.detector.refused(endpoint, now);
  }

  /**
   * Until when an attempt may go on without a reply. An attempt the endpoint
   * has ACKed is running there: it is kept while the endpoint itself shows
   * life (any datagram, not only this attempt's ACKs, whose probes the
   * retry budget may hold back) within `ackLivenessMs`. A dead endpoint
   * falls silent, and the detector or this limit moves the call.
   */
  liveUntil(attempt: Attempt): number {
    if (attempt.lastAckAt === undefined) return -Infinity;
    return Math.max(attempt.lastAckAt, attempt.endpoint.liveness.lastHeardAt) + this.ackLivenessMs(attempt.endpoint);
  }

  stats(): RoutingStats {
    return { ...this.counters };
  }

  snapshot(): EndpointSnapshot[] {
    return this.endpoints.snapshot(this.now());
  }
}

// Local DEADLINE_EXCEEDED / UNAVAILABLE: no answer in time. Remote
// UNAVAILABLE: the server says it cannot serve. Local CANCELLED: the caller
// or the client ended it. Any other reply proves the endpoint alive.
function classify(outcome: CallOutcome): AttemptVerdict {
  if (outcome.ok) return 'success';
  const e = outcome.error;
  if (e.remote && e.refused && e.code === 'UNAVAILABLE') return 'going-away';
  if (e.code === 'UNAVAILABLE') return 'unresponsive';
  if (!e.remote && e.code === 'DEADLINE_EXCEEDED') return 'unresponsive';
  if (!e.remote) return 'neutral';
  return 'answered';
}
