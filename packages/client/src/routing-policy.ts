import type { RetryBudgetPolicy } from '@udprpc/core';
import {
  checkNumberGroup,
  checkOptionalBoolean,
  checkOptionalChoice,
  checkOptionalNumber,
  checkOptionalObject,
  retryBudgetFields,
  type NumberFields,
} from '@udprpc/core/engine';

/** How a multi-endpoint client spreads new calls over its endpoints. */
export type BalancerKind = 'p2c' | 'round-robin' | 'weighted';

/**
 * Outlier detection: when an endpoint is taken out of rotation and how it
 * comes back (docs/multi-endpoint.md "Health and ejection").
 */
export interface HealthPolicy {
  /**
   * Consecutive failed attempts (no reply within the attempt's time, or
   * UNAVAILABLE) that eject an endpoint. Default 5: one lost call is noise,
   * five in a row with no success in between is a dead or cut-off server.
   */
  consecutiveFailures: number;
  /**
   * First ejection period in ms (1000). Each further ejection without a
   * success in between doubles it, up to `maxEjectionMs`; jittered ×[0.8, 1.2).
   */
  ejectionMs: number;
  /** Longest ejection period in ms (30 000). */
  maxEjectionMs: number;
  /**
   * After the ejection period the endpoint is *probing*: the next idempotent
   * call is its one trial. If no idempotent call comes within this many ms
   * (1000), any call may be the trial, so a client that only makes
   * non-idempotent calls still brings endpoints back.
   */
  trialGraceMs: number;
  /**
   * Retransmissions in a row, each left unanswered for its RTO, after which
   * an endpoint counts as dead — provided another endpoint answered
   * meanwhile and the silence lasted `minSilenceMs` (docs/multi-endpoint.md
   * "Dead endpoints"). 3: a live server answers every retransmission at
   * once (an ACK while the handler runs), so one unanswered retransmission
   * is a lost datagram, three in a row with nothing at all heard in between
   * are a dead server. `Infinity` turns detection by silence off.
   */
  silentRetransmissions: number;
  /**
   * Shortest silence, in ms, that can make an endpoint dead (150): longer
   * than a GC pause or a busy event loop on a live server, well within the
   * 300 ms a dead one may cost on a LAN. It also caps the time a
   * retransmission or PING is given to be answered, and a third of it is
   * the keepalive interval. It must exceed the round-trip time of every
   * endpoint: raise it for endpoints across a WAN.
   */
  minSilenceMs: number;
}

/** Defaults of {@link HealthPolicy}; see each field for the rationale. */
export const defaultHealthPolicy: Readonly<HealthPolicy> = Object.freeze({
  consecutiveFailures: 5,
  ejectionMs: 1000,
  maxEjectionMs: 30_000,
  trialGraceMs: 1000,
  silentRetransmissions: 3,
  minSilenceMs: 150,
});

/**
 * Failover of idempotent calls: an attempt that gets no sign of life from its
 * endpoint within its share of the remaining time is cancelled and the call
 * moves on (docs/multi-endpoint.md "At-most-once across endpoints").
 */
export interface FailoverPolicy {
  /** Whether idempotent calls may move to another endpoint. Default true. */
  enabled: boolean;
  /** Most endpoints one call tries, the first included (3). */
  maxAttempts: number;
  /**
   * Share of the time left that an attempt gets when another endpoint could
   * still take the call (0.5): with a 5 s deadline the first endpoint has
   * 2.5 s, the second 1.25 s (or 2.5 s if it is the last), and so on.
   */
  attemptFraction: number;
  /**
   * Shortest attempt timeout in ms (250): enough for the first
   * retransmission to a new endpoint (200 ms RTO × 1.2 jitter). An attempt is
   * the last one when less than this would be left for the next.
   */
  minAttemptMs: number;
}

/** Defaults of {@link FailoverPolicy}. */
export const defaultFailoverPolicy: Readonly<FailoverPolicy> = Object.freeze({
  enabled: true,
  maxAttempts: 3,
  attemptFraction: 0.5,
  minAttemptMs: 250,
});

/**
 * Hedging of idempotent calls: a second copy to another endpoint when the
 * first is slow. Off by default, because it adds load.
 */
export interface HedgingOptions {
  /** Turns hedging on. */
  enabled: boolean;
  /**
   * Delay before a hedge, in ms, or `'p95'` (default): the 95th percentile of
   * the client's recent successful attempts. No hedge is sent until 20
   * latencies have been seen.
   */
  delayMs?: number | 'p95';
  /** Extra copies per call (1, the only value allowed today). */
  maxExtra?: 1;
  /**
   * Token bucket bounding hedges like the retry budget bounds retransmissions:
   * each idempotent call deposits `ratio` (0.1), the bucket holds `burst` (10)
   * and refills `minPerSecond` (1); a hedge takes one token. So hedges add at
   * most 10 % to the calls, plus 10, plus 1 per second.
   */
  budget?: Partial<RetryBudgetPolicy>;
}

/** Hedging options after defaults. */
export interface HedgingPolicy {
  /** Whether idempotent calls are hedged. */
  readonly enabled: boolean;
  /** Delay before the hedge: fixed, or the endpoint's observed 95th percentile. */
  readonly delayMs: number | 'p95';
  /** Extra attempts per call at most. */
  readonly maxExtra: number;
  /** The token bucket that bounds hedges across calls. */
  readonly budget: RetryBudgetPolicy;
}

/** Defaults of {@link HedgingPolicy}. */
export const defaultHedgingPolicy: HedgingPolicy = Object.freeze({
  enabled: false,
  delayMs: 'p95',
  maxExtra: 1,
  budget: Object.freeze({ ratio: 0.1, burst: 10, minPerSecond: 1 }),
});

/** Latencies kept for the p95 estimate (the most recent ones). */
export const LATENCY_SAMPLE_SIZE = 128;
/** Latencies needed before `'p95'` hedging starts. */
export const MIN_LATENCY_SAMPLES = 20;

/** Multi-endpoint options of a client, after defaults. */
export interface RoutingPolicy {
  readonly balancer: BalancerKind;
  readonly health: HealthPolicy;
  readonly failover: FailoverPolicy;
  readonly hedging: HedgingPolicy;
}

/** What `resolveRoutingPolicy` reads. */
export interface RoutingOptions {
  /**
   * How to choose an endpoint within the best priority: `'p2c'` (power of
   * two choices, the default), `'round-robin'`, or `'weighted'` (smooth
   * weighted round robin over the endpoints' SRV weights; the default for
   * `udp+srv://` URLs).
   */
  balancer?: BalancerKind;
  /** When endpoints are ejected and tried again (`defaultHealthPolicy`). */
  health?: Partial<HealthPolicy>;
  /** Failover of idempotent calls to another endpoint: on by default (`defaultFailoverPolicy`). */
  failover?: boolean | Partial<FailoverPolicy>;
  /** Hedging of idempotent calls: off by default (`defaultHedgingPolicy`). */
  hedging?: HedgingOptions;
}

/**
 * Applies defaults and checks values: a TypeError for a value of the wrong
 * type or shape, a RangeError for one out of range, naming the option.
 */
export function resolveRoutingPolicy(options: RoutingOptions): RoutingPolicy {
  checkOptionalChoice(options.balancer, 'options.balancer', ['p2c', 'round-robin', 'weighted']);
  const balancer = options.balancer ?? 'p2c';
  checkNumberGroup(options.health, 'options.health', healthFields);
  const health = { ...defaultHealthPolicy, ...options.health };
  if (health.maxEjectionMs < health.ejectionMs) {
    throw new RangeError(`options.health.maxEjectionMs (${health.maxEjectionMs}) must be >= options.health.ejectionMs (${health.ejectionMs})`);
  }
  const f = options.failover;
  if (typeof f !== 'boolean') {
    checkNumberGroup(f, 'options.failover', failoverFields);
    checkOptionalBoolean(f?.enabled, 'options.failover.enabled');
  }
  const failover = { ...defaultFailoverPolicy, ...(typeof f === 'boolean' ? { enabled: f } : f) };
  const h = checkOptionalObject(options.hedging, 'options.hedging') as Partial<HedgingOptions>;
  checkOptionalBoolean(h.enabled, 'options.hedging.enabled');
  if (h.delayMs !== 'p95') checkOptionalNumber(h.delayMs, 'options.hedging.delayMs', { min: 0 });
  checkOptionalNumber(h.maxExtra, 'options.hedging.maxExtra', { min: 1, max: 1, integer: true });
  checkNumberGroup(h.budget, 'options.hedging.budget', retryBudgetFields);
  const hedging: HedgingPolicy = {
    enabled: h.enabled ?? false,
    delayMs: h.delayMs ?? 'p95',
    maxExtra: h.maxExtra ?? 1,
    budget: { ...defaultHedgingPolicy.budget, ...h.budget },
  };
  return { balancer, health, failover, hedging };
}

const healthFields: NumberFields<HealthPolicy> = {
  consecutiveFailures: { min: 1, integer: true },
  ejectionMs: { above: 0 },
  maxEjectionMs: { above: 0 },
  trialGraceMs: { min: 0 },
  silentRetransmissions: { min: 1, integer: true, infinite: true },
  minSilenceMs: { min: 0 },
};

const failoverFields: NumberFields<FailoverPolicy> = {
  maxAttempts: { min: 1, integer: true },
  attemptFraction: { above: 0, max: 1 },
  minAttemptMs: { min: 0 },
};
