import { RpcError, type Clock, type PeerAddress, type RetryPolicy, type TimerHandle } from '@udprpc/core';
import { RetryBudget, type CallOutcome, type ClientEngine } from '@udprpc/core/engine';
import { createBalancer } from './balancer.js';
import type { HealthState } from './endpoint-health.js';
import { EndpointSet, type Endpoint, type EndpointSnapshot } from './endpoint-set.js';
import { LatencyWindow } from './latency-window.js';
import { RoutedCall, type Attempt, type AttemptVerdict, type CallRouter, type RoutedRequest } from './routed-call.js';
import { LATENCY_SAMPLE_SIZE, MIN_LATENCY_SAMPLES, type RoutingPolicy } from './routing-policy.js';

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
}

/** What the router reports as it works. */
export interface RouterHooks {
  onFailover?(info: { from: PeerAddress; to: PeerAddress; reason: RpcError }): void;
  onHedge?(info: { peer: PeerAddress; delayMs: number }): void;
  onHealth?(info: { peer: PeerAddress; state: HealthState }): void;
}

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
  private readonly counters: RoutingStats = { failovers: 0, hedges: 0, hedgesWon: 0, hedgesDenied: 0, ejections: 0 };

  constructor(
    private readonly engine: ClientEngine,
    private readonly clock: Clock,
    random: () => number,
    readonly policy: RoutingPolicy,
    private readonly retry: RetryPolicy,
    private readonly hooks: RouterHooks,
    /** Re-arms the engine's timer after the engine was given work. */
    private readonly kick: () => void,
  ) {
    this.endpoints = new EndpointSet(policy.health, createBalancer(policy.balancer, random), random, (peer) => engine.peerTiming(peer));
    this.hedgeBudget = new RetryBudget(policy.hedging.budget);
  }

  now(): number {
    return this.clock.now();
  }

  setTimer(delayMs: number, callback: () => void): TimerHandle {
    return this.clock.setTimer(delayMs, callback);
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
    const id = this.engine.call({ peer: endpoint.peer, method: req.method, payload: req.payload, deadlineAt: req.deadline }, this.now(), settle);
    if (typeof id === 'number') this.kick();
    return id;
  }

  /** @internal */
  track(attempt: Attempt): void {
    this.byId.set(attempt.id, attempt);
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
    const verdict = cancelledByCall ? 'neutral' : classify(outcome);
    const health = endpoint.health;
    const before = health.state(now);
    switch (verdict) {
      case 'success':
        this.latency.add(now - attempt.startedAt);
        health.onSuccess(attempt.trial);
        break;
      case 'answered':
        health.onSuccess(attempt.trial);
        break;
      case 'unresponsive': {
        const ejections = health.ejections;
        health.onFailure(now, attempt.trial, this.endpoints.mayEject(endpoint, now));
        if (health.ejections !== ejections) this.counters.ejections++;
        break;
      }
      case 'neutral':
        health.onNeutral(attempt.trial);
        break;
    }
    const after = health.state(now);
    if (after !== before && after !== 'probing') this.hooks.onHealth?.({ peer: endpoint.peer, state: after });
    return verdict;
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

  /** @internal */
  onHedgeWon(): void {
    this.counters.hedgesWon++;
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
  if (e.code === 'UNAVAILABLE') return 'unresponsive';
  if (!e.remote && e.code === 'DEADLINE_EXCEEDED') return 'unresponsive';
  if (!e.remote) return 'neutral';
  return 'answered';
}
