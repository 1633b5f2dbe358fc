import type { TimerHandle } from '@udprpc/core';
import type { Endpoint, EndpointSet } from './endpoint-set.js';
import type { HealthPolicy } from './routing-policy.js';

/** What the detector needs around it (the router). */
export interface DetectorHost {
  readonly endpoints: EndpointSet;
  now(): number;
  setTimer(delayMs: number, callback: () => void): TimerHandle;
  /** How long a retransmission to `endpoint` may wait for its answer (its RTO, at most `minSilenceMs`). */
  answerWindowMs(endpoint: Endpoint): number;
  /** The evidence says `endpoint` is dead. */
  onDead(endpoint: Endpoint, reason: 'silent' | 'refused', now: number): void;
}

/**
 * Finds dead endpoints within a few round trips (docs/multi-endpoint.md
 * "Dead endpoints"). A live server answers every retransmission at once —
 * with an ACK while the handler runs, with the reply once it ran — so a
 * slow handler is not silence. An endpoint is declared dead when
 *
 * - it is in rotation and `silentRetransmissions` retransmissions to it in a
 *   row, each given its RTO, drew no datagram at all, over at least
 *   `minSilenceMs`, **and** another endpoint was heard from after the first
 *   of them (so the client's own network or event loop is not the cause); or
 * - it is probing and its trial's retransmission drew nothing in its RTO,
 *   while another endpoint answered; or
 * - `maxRefusals` ICMP refusals came from it with no datagram in between.
 *
 * Pure apart from the host's timers: evidence in, `onDead` out.
 */
export class DeadEndpointDetector {
  /** Silent endpoints that only wait for another endpoint to answer. */
  private readonly waiting = new Set<Endpoint>();

  constructor(
    private readonly host: DetectorHost,
    private readonly policy: HealthPolicy,
    private readonly maxRefusals: number,
  ) {}

  /** A datagram came from `endpoint`. */
  heard(endpoint: Endpoint, now: number): void {
    const live = endpoint.liveness;
    live.lastHeardAt = now;
    if (live.unanswered.length > 0 || live.refusals > 0 || live.timer !== undefined) live.clear();
    this.waiting.delete(endpoint);
    if (this.waiting.size === 0) return;
    for (const other of [...this.waiting]) {
      this.waiting.delete(other);
      this.check(other);
    }
  }

  /** The engine retransmitted a request to `endpoint`. */
  retransmitted(endpoint: Endpoint, now: number): void {
    const live = endpoint.liveness;
    live.lastRetransmitAt = now;
    const n = this.policy.silentRetransmissions;
    if (n === Infinity) return; // detection by silence is off
    if (live.unanswered.length < n) live.unanswered.push(now);
    this.check(endpoint);
  }

  /** An ICMP refusal came for `endpoint`. */
  refused(endpoint: Endpoint, now: number): void {
    const live = endpoint.liveness;
    if (++live.refusals < this.maxRefusals || endpoint.health.state(now) === 'ejected') return;
    live.refusals = 0;
    this.host.onDead(endpoint, 'refused', now);
  }

  /** Judges `endpoint` now, or arms a timer for when the evidence could be complete. */
  private check(endpoint: Endpoint): void {
    const now = this.host.now();
    const live = endpoint.liveness;
    const state = endpoint.health.state(now);
    if (state === 'ejected' || endpoint.removed) return;
    const windowMs = this.host.answerWindowMs(endpoint);
    let since: number;
    let dueAt: number;
    if (state === 'healthy') {
      const n = this.policy.silentRetransmissions;
      if (live.unanswered.length < n) return; // the next retransmission checks again
      since = live.unanswered[0]!;
      dueAt = Math.max(live.unanswered[n - 1]! + windowMs, since + this.policy.minSilenceMs);
    } else {
      // Probing: it was silent for a whole ejection period; its trial's retransmission decides.
      if (live.lastRetransmitAt < endpoint.health.ejectionEndsAt) return;
      since = live.lastRetransmitAt;
      dueAt = since + windowMs;
    }
    if (now < dueAt) {
      live.timer?.cancel();
      live.timer = this.host.setTimer(dueAt - now, () => {
        live.timer = undefined;
        this.check(endpoint);
      });
      return;
    }
    if (!this.othersHeardSince(endpoint, since)) {
      this.waiting.add(endpoint);
      return;
    }
    this.host.onDead(endpoint, 'silent', now);
  }

  private othersHeardSince(endpoint: Endpoint, since: number): boolean {
    return this.host.endpoints.list.some((e) => e !== endpoint && e.liveness.lastHeardAt > since);
  }
}
