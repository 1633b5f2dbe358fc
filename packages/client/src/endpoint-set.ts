import { type PeerAddress } from '@udprpc/core';
import { peerKey } from '@udprpc/core/engine';
import { checkWeighting, type Balancer, type BalancerCandidate, type WeightedPeer } from './balancer.js';
import { EndpointHealth, Liveness, type HealthState } from './endpoint-health.js';
import type { HealthPolicy } from './routing-policy.js';

/** RTT knowledge about a peer (the engine's `peerTiming`). */
export type PeerTiming = (peer: PeerAddress) => { srttMs: number | undefined; rtoMs: number } | undefined;

/**
 * Longest time a GOAWAY keeps an endpoint out of rotation, whatever drain
 * time it announces: 60 s. A server that drains longer gets new calls again
 * and refuses them (going away), which holds it out once more.
 */
export const MAX_DRAIN_HOLD_MS = 60_000;
/**
 * How long a going-away refusal (UNAVAILABLE, REJECTED; protocol.md §5.9)
 * without a GOAWAY keeps an endpoint out of rotation: 1000 ms. The refusal
 * does not say how long the drain lasts; a refusal costs a call one round
 * trip, so looking again every second is cheap.
 */
export const REFUSAL_DRAIN_HOLD_MS = 1000;

/** One server address of a multi-endpoint client and what the client knows about it. */
export class Endpoint implements BalancerCandidate {
  seq: number;
  /** Attempts in flight (and calls reserved to start here). */
  outstanding = 0;
  /** Gone from the endpoint list: takes no new calls, forgotten once idle. */
  removed = false;
  /** Draining (a GOAWAY or a going-away refusal): no new calls before this time, unless no other endpoint takes them. */
  drainingUntil = -Infinity;
  /** SRV priority (lower preferred), from the latest list. */
  priority = 0;
  /** SRV weight, from the latest list. */
  weight = 1;
  readonly key: string;
  readonly health: EndpointHealth;
  /** What it has shown of its liveness lately (dead-endpoint detection). */
  readonly liveness = new Liveness();

  constructor(
    readonly peer: PeerAddress,
    seq: number,
    policy: HealthPolicy,
    random: () => number,
    private readonly timing: PeerTiming,
  ) {
    this.seq = seq;
    this.key = peerKey(peer);
    this.health = new EndpointHealth(policy, random);
  }

  get srttMs(): number | undefined {
    return this.timing(this.peer)?.srttMs;
  }

  get rtoMs(): number | undefined {
    return this.timing(this.peer)?.rtoMs;
  }
}

/** A point-in-time view of one endpoint, from `client.endpoints()`. */
export interface EndpointSnapshot {
  /** The endpoint's address. */
  readonly peer: PeerAddress;
  /** `removed`: no longer in the list, finishing its calls in flight; `draining`: it said it is going away (protocol.md §5.9). */
  readonly state: HealthState | 'removed' | 'draining';
  /** Calls in flight to it. */
  readonly outstanding: number;
  /** Failures since its last success. */
  readonly consecutiveFailures: number;
  /** Times it was ejected. */
  readonly ejections: number;
  /** Smoothed RTT, once measured. */
  readonly srttMs: number | undefined;
  /** Current retransmission timeout, once known. */
  readonly rtoMs: number | undefined;
  /** SRV priority (0 unless given). */
  readonly priority: number;
  /** SRV weight (1 unless given). */
  readonly weight: number;
}

/**
 * The endpoints of a multi-endpoint client. The list can change at any time
 * (DNS re-resolution): an endpoint that leaves it stops getting new calls at
 * once, keeps its calls in flight, and is forgotten when the last one ends.
 * An endpoint that comes back keeps its health history.
 */
export class EndpointSet {
  private readonly byKey = new Map<string, Endpoint>();
  private live: Endpoint[] = [];
  /** One-entry cache for {@link find}: transports tend to hand out one address object per peer. */
  private lastFound: { peer: PeerAddress; endpoint: Endpoint | undefined } | undefined;

  constructor(
    private readonly policy: HealthPolicy,
    private readonly balancer: Balancer,
    private readonly random: () => number,
    private readonly timing: PeerTiming,
  ) {}

  /** Endpoints in the list now, in list order. */
  get list(): readonly Endpoint[] {
    return this.live;
  }

  /** The endpoint at `peer`, in the list or removed but still finishing calls. */
  find(peer: PeerAddress): Endpoint | undefined {
    const last = this.lastFound;
    if (last !== undefined && last.peer === peer) return last.endpoint;
    const endpoint = this.byKey.get(peerKey(peer));
    this.lastFound = { peer, endpoint };
    return endpoint;
  }

  /** Replaces the list (duplicates are ignored; a bad priority or weight throws a TypeError or RangeError before anything changes). */
  update(peers: readonly WeightedPeer[]): void {
    for (const peer of peers) checkWeighting(peer);
    this.lastFound = undefined;
    const next: Endpoint[] = [];
    const keep = new Set<string>();
    for (const peer of peers) {
      const key = peerKey(peer);
      if (keep.has(key)) continue;
      keep.add(key);
      let endpoint = this.byKey.get(key);
      if (endpoint === undefined) {
        endpoint = new Endpoint(addressOf(peer), next.length, this.policy, this.random, this.timing);
        this.byKey.set(key, endpoint);
      }
      endpoint.seq = next.length;
      endpoint.removed = false;
      endpoint.priority = peer.priority ?? 0;
      endpoint.weight = peer.weight ?? 1;
      next.push(endpoint);
    }
    for (const [key, endpoint] of this.byKey) {
      if (keep.has(key)) continue;
      endpoint.removed = true;
      if (endpoint.outstanding === 0) this.byKey.delete(key);
    }
    this.live = next;
  }

  /**
   * Chooses the endpoint for a new attempt among those in the list that
   * `allowed` lets through. A probing endpoint waiting for its trial comes
   * first; otherwise the balancer chooses among the endpoints in rotation.
   * When none is in rotation, the least bad one is used: a client never
   * refuses a call because every endpoint looks unhealthy.
   *
   * `retry` (failover and hedges) narrows the choice to endpoints whose last
   * attempt did not fail, when there are any: a call that already lost time
   * should not spend more on an endpoint that is failing but not yet ejected.
   * (First attempts do not do this, or one lost datagram would starve an
   * endpoint of the calls it needs to recover.)
   */
  pick(now: number, idempotent: boolean, allowed?: (e: Endpoint) => boolean, retry = false): Endpoint | undefined {
    let candidates: Endpoint[] = [];
    let fallback: Endpoint | undefined;
    let draining: Endpoint | undefined;
    for (const e of this.live) {
      if (allowed !== undefined && !allowed(e)) continue;
      if (now < e.drainingUntil) {
        // Going away: only when nothing else is left (it will refuse, and the call moves on).
        if (draining === undefined || e.drainingUntil < draining.drainingUntil) draining = e;
        continue;
      }
      if (e.health.accepts(now, idempotent)) {
        if (e.health.state(now) === 'probing' && !retry) return e;
        candidates.push(e);
      } else if (fallback === undefined || EndpointHealth.compare(e.health, fallback.health) < 0) {
        fallback = e;
      }
    }
    if (retry) {
      const unfailed = candidates.filter((e) => e.health.consecutiveFailures === 0 && e.health.state(now) === 'healthy');
      if (unfailed.length > 0) candidates = unfailed;
    }
    return this.balancer.pick(candidates) ?? fallback ?? draining;
  }

  /** Whether `endpoint` may be ejected: some other endpoint in the list would stay in rotation. */
  mayEject(endpoint: Endpoint, now: number): boolean {
    return this.live.some((e) => e !== endpoint && e.health.inRotation(now));
  }

  /** One attempt to `endpoint` ended (or a reservation was given back). */
  release(endpoint: Endpoint): void {
    endpoint.outstanding--;
    if (endpoint.removed && endpoint.outstanding <= 0 && this.byKey.get(endpoint.key) === endpoint) {
      this.byKey.delete(endpoint.key);
      this.lastFound = undefined;
      endpoint.liveness.clear();
    }
  }

  /** Every endpoint still known, in list order, then the removed ones still finishing calls. */
  snapshot(now: number): EndpointSnapshot[] {
    const draining = [...this.byKey.values()].filter((e) => e.removed);
    return [...this.live, ...draining].map((e) => ({
      peer: e.peer,
      state: e.removed ? 'removed' : now < e.drainingUntil ? 'draining' : e.health.state(now),
      outstanding: e.outstanding,
      consecutiveFailures: e.health.consecutiveFailures,
      ejections: e.health.ejections,
      srttMs: e.srttMs,
      rtoMs: e.rtoMs,
      priority: e.priority,
      weight: e.weight,
    }));
  }
}

// The engine is handed the address alone: a peer object carrying SRV fields is copied without them.
function addressOf(peer: WeightedPeer): PeerAddress {
  if (peer.priority === undefined && peer.weight === undefined) return peer;
  return { address: peer.address, family: peer.family, port: peer.port };
}
