import { RpcError, type TimerHandle } from '@udprpc/core';
import { type CallOutcome } from '@udprpc/core/engine';
import type { Endpoint, EndpointSet } from './endpoint-set.js';
import type { RoutingPolicy } from './routing-policy.js';

/** One transmission series of a logical call to one endpoint (one engine call). */
export interface Attempt {
  readonly endpoint: Endpoint;
  /** The engine's id for it (set once the engine took it). */
  id: number;
  readonly startedAt: number;
  /** This attempt is the endpoint's probing trial. */
  readonly trial: boolean;
  readonly hedge: boolean;
  timer: TimerHandle | undefined;
  /** When the endpoint last ACKed this attempt ("still running"), if ever. */
  lastAckAt: number | undefined;
  settled: boolean;
}

/** What a routed call sends: fixed for all its attempts. */
export interface RoutedRequest {
  readonly method: Uint8Array;
  readonly payload: Uint8Array;
  /** The logical call's deadline; every attempt carries it to its server. */
  readonly deadline: number;
  readonly idempotent: boolean;
}

/** How an ended attempt counts for its endpoint and its call. */
export type AttemptVerdict = 'success' | 'answered' | 'unresponsive' | 'neutral';

/**
 * What a {@link RoutedCall} needs of the router that runs it (router.ts
 * `Router` implements it). Declared here, on the caller's side, so that
 * router.ts imports routed-call.ts and not the other way round (no cycle).
 */
export interface CallRouter {
  readonly endpoints: EndpointSet;
  readonly policy: RoutingPolicy;
  readonly closed: boolean;
  now(): number;
  setTimer(delayMs: number, callback: () => void): TimerHandle;
  startAttempt(endpoint: Endpoint, req: RoutedRequest, settle: (outcome: CallOutcome, transmissions: number) => void): number | RpcError;
  track(attempt: Attempt): void;
  attemptNotSent(attempt: Attempt): void;
  cancelAttempt(attempt: Attempt, error: RpcError): void;
  attemptEnded(attempt: Attempt, outcome: CallOutcome, now: number, cancelledByCall: boolean): AttemptVerdict;
  ackLivenessMs(endpoint: Endpoint): number;
  hedgeDelayMs(): number | undefined;
  takeHedgeToken(now: number): boolean;
  onFailover(from: Endpoint, to: Endpoint, reason: RpcError): void;
  onHedge(to: Endpoint, delayMs: number): void;
  onHedgeWon(): void;
}

/**
 * One logical call of a multi-endpoint client: its attempts, failover and
 * hedging (docs/multi-endpoint.md "At-most-once across endpoints").
 *
 * - A non-idempotent call makes exactly one attempt, on one endpoint, for its
 *   whole life. The only exception is a request the engine refused to send
 *   (the endpoint's window and queue are full): nothing left the process, so
 *   it may still go elsewhere.
 * - An idempotent call's attempt has a timeout (a share of the time left,
 *   {@link FailoverPolicy}) when another endpoint could still take the call.
 *   When the endpoint shows no sign of life in that time (no reply; an ACK
 *   counts as life), or answers UNAVAILABLE, the attempt is cancelled (a
 *   CANCEL is sent) and the call moves to an endpoint it has not tried.
 * - With hedging on, an idempotent call still waiting after the hedge delay
 *   gets a second attempt on another endpoint, if the hedge budget allows.
 *   The first reply wins; the other attempt is cancelled.
 */
export class RoutedCall {
  private readonly live: Attempt[] = [];
  private readonly tried = new Set<Endpoint>();
  private attempts = 0;
  /** Transmissions of all attempts that ended so far (cancelled losers end before the call settles). */
  private transmissions = 0;
  private hedged = false;
  private hedgeTimer: TimerHandle | undefined;
  private lastError: RpcError | undefined;
  private done = false;

  constructor(
    private readonly router: CallRouter,
    private readonly req: RoutedRequest,
    private readonly settle: (outcome: CallOutcome, transmissions: number) => void,
  ) {}

  /** Starts the first attempt on `endpoint`, whose `outstanding` the caller already counted. */
  start(endpoint: Endpoint): void {
    this.launch(endpoint, false);
    if (!this.done && this.req.idempotent) this.armHedge();
  }

  /** Ends the call now with `error` (abort signal), cancelling every attempt. */
  abort(error: RpcError): void {
    if (!this.done) this.finish({ ok: false, error }, error);
  }

  /** Called by the engine for each attempt, exactly once. */
  private onOutcome(attempt: Attempt, outcome: CallOutcome, transmissions: number): void {
    this.transmissions += transmissions;
    if (attempt.settled) return;
    attempt.settled = true;
    attempt.timer?.cancel();
    const i = this.live.indexOf(attempt);
    if (i >= 0) this.live.splice(i, 1);
    const now = this.router.now();
    const verdict = this.router.attemptEnded(attempt, outcome, now, this.done);
    if (this.done) return;
    if (outcome.ok) return this.finish(outcome, undefined, attempt.hedge);
    const error = outcome.error;
    const movable = this.req.idempotent && this.router.policy.failover.enabled && verdict === 'unresponsive' && !this.router.closed;
    if (!movable) return this.finish(outcome);
    this.lastError = error;
    if (this.live.length > 0) return; // a hedge is still running: it may yet answer
    this.failover(error, attempt.endpoint);
  }

  private failover(error: RpcError, from: Endpoint): void {
    const now = this.router.now();
    if (this.attempts >= this.router.policy.failover.maxAttempts || now >= this.req.deadline) return this.finish({ ok: false, error });
    const next = this.router.endpoints.pick(now, true, (e) => !this.tried.has(e), true);
    if (next === undefined) return this.finish({ ok: false, error });
    this.router.onFailover(from, next, error);
    next.outstanding++;
    this.launch(next, false);
  }

  private launch(endpoint: Endpoint, hedge: boolean): void {
    const router = this.router;
    const now = router.now();
    this.tried.add(endpoint);
    this.attempts++;
    const timeoutMs = this.attemptTimeout(endpoint, now);
    const trial = endpoint.health.onAttempt(now);
    const attempt: Attempt = { endpoint, id: 0, startedAt: now, trial, hedge, timer: undefined, lastAckAt: undefined, settled: false };
    const id = router.startAttempt(endpoint, this.req, (outcome, transmissions) => this.onOutcome(attempt, outcome, transmissions));
    if (typeof id !== 'number') {
      // Never sent: a full window may be tried elsewhere, for any method.
      router.attemptNotSent(attempt);
      this.attempts--;
      if (id.code === 'RESOURCE_EXHAUSTED') {
        const other = router.endpoints.pick(now, this.req.idempotent, (e) => !this.tried.has(e));
        if (other !== undefined) {
          other.outstanding++;
          return this.launch(other, hedge);
        }
      }
      if (this.live.length === 0) this.finish({ ok: false, error: this.lastError ?? id });
      return;
    }
    attempt.id = id;
    this.live.push(attempt);
    router.track(attempt);
    if (timeoutMs !== undefined) attempt.timer = router.setTimer(timeoutMs, () => this.onAttemptTimer(attempt));
  }

  /**
   * An attempt's timeout, or undefined when it may use all the time left:
   * for non-idempotent calls, with failover off, and for the last attempt
   * (no untried endpoint, attempts used up, or too little time for another).
   */
  private attemptTimeout(endpoint: Endpoint, now: number): number | undefined {
    const f = this.router.policy.failover;
    if (!this.req.idempotent || !f.enabled || this.attempts >= f.maxAttempts) return undefined;
    const remaining = this.req.deadline - now;
    const timeout = Math.max(f.minAttemptMs, remaining * f.attemptFraction);
    if (remaining - timeout < f.minAttemptMs) return undefined;
    const alternative = this.router.endpoints.list.some((e) => e !== endpoint && !this.tried.has(e));
    return alternative ? timeout : undefined;
  }

  // No reply in the attempt's time: alive (recent ACK) keeps waiting, else move on.
  private onAttemptTimer(attempt: Attempt): void {
    attempt.timer = undefined;
    if (attempt.settled || this.done) return;
    const now = this.router.now();
    const liveUntil = attempt.lastAckAt === undefined ? -Infinity : attempt.lastAckAt + this.router.ackLivenessMs(attempt.endpoint);
    if (now < liveUntil) {
      if (liveUntil < this.req.deadline) attempt.timer = this.router.setTimer(liveUntil - now, () => this.onAttemptTimer(attempt));
      return;
    }
    this.router.cancelAttempt(attempt, new RpcError('DEADLINE_EXCEEDED', 'no sign of life from the endpoint within the attempt timeout'));
  }

  private armHedge(): void {
    const delay = this.router.hedgeDelayMs();
    if (delay === undefined || this.router.now() + delay >= this.req.deadline) return;
    this.hedgeTimer = this.router.setTimer(delay, () => this.onHedgeTimer(delay));
  }

  private onHedgeTimer(delayMs: number): void {
    this.hedgeTimer = undefined;
    if (this.done || this.hedged || this.live.length === 0) return;
    const now = this.router.now();
    const endpoint = this.router.endpoints.pick(now, true, (e) => !this.tried.has(e) && e.health.accepts(now, true), true);
    if (endpoint === undefined || !this.router.takeHedgeToken(now)) return;
    this.hedged = true;
    this.router.onHedge(endpoint, delayMs);
    endpoint.outstanding++;
    this.launch(endpoint, true);
  }

  private finish(outcome: CallOutcome, cancelWith?: RpcError, hedgeWon = false): void {
    this.done = true;
    this.hedgeTimer?.cancel();
    this.hedgeTimer = undefined;
    if (hedgeWon) this.router.onHedgeWon();
    const losing = cancelWith ?? new RpcError('CANCELLED', 'another attempt of this call was answered');
    for (const attempt of [...this.live]) {
      attempt.timer?.cancel();
      // While the client closes, the engine is cancelling every call itself: do not cancel under it.
      if (!this.router.closed) this.router.cancelAttempt(attempt, losing);
    }
    this.settle(outcome, this.transmissions);
  }
}
