import type { TimerHandle } from '@udprpc/core';
import type { HealthPolicy } from './routing-policy.js';

/**
 * Why an endpoint was taken out of rotation: `silent` (its retransmissions
 * drew nothing while the other endpoints answered), `refused` (ICMP port
 * unreachable, `maxRefusals` in a row), `failures` (`consecutiveFailures`
 * attempts failed in a row) or `trial-failed` (its probing trial failed).
 */
export type EjectionReason = 'silent' | 'refused' | 'failures' | 'trial-failed';

/** What one endpoint has shown of its liveness since it was last heard from. */
export class Liveness {
  /** When a datagram last came from the endpoint (-Infinity: never). */
  lastHeardAt = -Infinity;
  /** When the latest retransmission (or keepalive PING) went to it. */
  lastRetransmitAt = -Infinity;
  /** When the latest keepalive PING went to it. */
  lastPingAt = -Infinity;
  /** Send times of the first retransmissions since it was last heard (only the first few are kept). */
  readonly unanswered: number[] = [];
  /** ICMP refusals since it was last heard. */
  refusals = 0;
  /** The pending check, if any. */
  timer: TimerHandle | undefined;
  /** The next PING probe of an endpoint ejected for silence or refusals, or the wait for its PONG. */
  probe: TimerHandle | undefined;

  /** Forgets the evidence of silence (the endpoint answered, or it was just ejected for it). */
  clear(): void {
    this.unanswered.length = 0;
    this.refusals = 0;
    this.timer?.cancel();
    this.timer = undefined;
  }
}

/** Where an endpoint stands in outlier detection. */
export type HealthState = 'healthy' | 'ejected' | 'probing';

/**
 * Outlier detection for one endpoint, free of I/O: outcomes and `now` in,
 * state out.
 *
 * - **healthy**: takes calls. `consecutiveFailures` failed attempts in a row
 *   eject it (unless the caller says ejecting would leave no endpoint).
 * - **ejected**: takes no calls until the ejection period ends. The period
 *   doubles with every ejection that had no success in between.
 * - **probing**: the period ended. Exactly one attempt at a time — the
 *   *trial* — may go to it: a reply makes it healthy, a failure ejects it
 *   again for a longer period.
 *
 * Any reply, even a late one to an attempt started before the ejection,
 * shows the endpoint is alive and makes it healthy again; so does any
 * datagram from an endpoint ejected for silence or refusals ({@link onHeard}).
 */
export class EndpointHealth {
  private failures = 0;
  /** Ejections since the last success: the exponent of the backoff. */
  private strikes = 0;
  private ejectedUntil = -Infinity;
  private ejected = false;
  private trialInFlight = false;
  /** Times this endpoint was ejected (for stats). */
  ejections = 0;
  /** Whether it waits for an answer to PING probes rather than a trial call (ejected for silence or refusals). */
  get probedByPing(): boolean {
    return this.ejected && this.pinged;
  }

  /** Why it was last ejected. */
  reason: EjectionReason | undefined;
  /**
   * Ejected for silence or refusals: it comes back by answering a PING
   * (any datagram from it), never by a trial call, which would only risk a
   * caller's time on a server that is most likely gone.
   */
  private pinged = false;

  constructor(
    private readonly policy: HealthPolicy,
    private readonly random: () => number,
  ) {}

  /** The state at `now` (an ejection that has run out reads as probing). */
  state(now: number): HealthState {
    if (!this.ejected) return 'healthy';
    return now < this.ejectedUntil ? 'ejected' : 'probing';
  }

  /** Whether it takes calls in the normal way: healthy, or probing for a trial call. */
  inRotation(now: number): boolean {
    const state = this.state(now);
    return state === 'healthy' || (state === 'probing' && !this.pinged);
  }

  /** Failed attempts since the last reply. */
  get consecutiveFailures(): number {
    return this.failures;
  }

  /** When the current ejection ends (or ended); -Infinity if never ejected. */
  get ejectionEndsAt(): number {
    return this.ejectedUntil;
  }

  /**
   * Whether a new attempt may go here now. A probing endpoint takes only its
   * one trial, from an idempotent call, or from any call once it has been
   * waiting `trialGraceMs` for one.
   */
  accepts(now: number, idempotent: boolean): boolean {
    switch (this.state(now)) {
      case 'healthy':
        return true;
      case 'ejected':
        return false;
      case 'probing':
        return !this.pinged && !this.trialInFlight && (idempotent || now >= this.ejectedUntil + this.policy.trialGraceMs);
    }
  }

  /** An attempt was started here; returns whether it is the probing trial. */
  onAttempt(now: number): boolean {
    if (this.state(now) !== 'probing' || this.trialInFlight) return false;
    this.trialInFlight = true;
    return true;
  }

  /** A reply arrived (any reply: the endpoint is alive). */
  onSuccess(trial: boolean): void {
    if (trial) this.trialInFlight = false;
    this.failures = 0;
    this.strikes = 0;
    this.ejected = false;
    this.pinged = false;
  }

  /**
   * A datagram came from the endpoint. If it was ejected only because it
   * fell silent or refused, that is over: back in rotation at once. Its
   * strikes stay until a real reply, so an endpoint that keeps falling
   * silent is ejected for longer each time. Returns whether it came back.
   */
  onHeard(): boolean {
    if (!this.ejected || !this.pinged) return false;
    this.ejected = false;
    this.pinged = false;
    this.trialInFlight = false;
    return true;
  }

  /**
   * An attempt failed for a reason that says the endpoint is unresponsive.
   * `mayEject` is false when ejecting would leave no endpoint in rotation.
   */
  onFailure(now: number, trial: boolean, mayEject: boolean): void {
    this.failures++;
    if (trial) {
      this.trialInFlight = false;
      return this.eject(now, 'trial-failed'); // a failed trial always goes back out
    }
    if (!this.ejected && this.failures >= this.policy.consecutiveFailures && mayEject) this.eject(now, 'failures');
  }

  /** An attempt ended without telling anything (cancelled by us or the caller). */
  onNeutral(trial: boolean): void {
    if (trial) this.trialInFlight = false;
  }

  /**
   * Orders endpoints from least to most bad, for when every endpoint is out
   * of rotation: fewest consecutive failures, then the earliest end of ejection.
   */
  static compare(a: EndpointHealth, b: EndpointHealth): number {
    return a.failures - b.failures || a.ejectedUntil - b.ejectedUntil;
  }

  /**
   * Takes the endpoint out of rotation now (a probing one goes back out for
   * a longer period): the period is `ejectionMs` doubled per ejection
   * without a success in between, capped, jittered ×[0.8, 1.2).
   */
  eject(now: number, reason: EjectionReason): void {
    this.trialInFlight = false;
    this.reason = reason;
    this.pinged = reason === 'silent' || reason === 'refused';
    const base = Math.min(this.policy.maxEjectionMs, this.policy.ejectionMs * 2 ** Math.min(this.strikes, 30));
    this.strikes++;
    this.ejections++;
    this.ejected = true;
    this.ejectedUntil = now + base * (0.8 + 0.4 * this.random());
  }
}
