import type { PeerAddress } from '@udprpc/core';
import { checkOptionalNumber } from '@udprpc/core/engine';
import type { BalancerKind } from './routing-policy.js';

/** What a balancer needs to know about an endpoint. */
export interface BalancerCandidate {
  /** Position in the client's endpoint list (stable while the endpoint stays). */
  readonly seq: number;
  /** Attempts in flight to it (and reserved for calls about to start). */
  readonly outstanding: number;
  /** Smoothed RTT, once measured. */
  readonly srttMs: number | undefined;
  /** DNS SRV priority: lower is preferred (RFC 2782). 0 when not given. */
  readonly priority?: number;
  /** DNS SRV weight within its priority (RFC 2782), 0 to 65535. 1 when not given. */
  readonly weight?: number;
}

/**
 * A server address with its DNS SRV priority and weight (RFC 2782), as
 * `client.setPeers` takes it. Without them an endpoint has priority 0 and
 * weight 1.
 */
export interface WeightedPeer extends PeerAddress {
  /** Lower is preferred: calls go to the best priority that has an endpoint in rotation. Default 0. */
  readonly priority?: number;
  /** Share of calls within its priority under the `'weighted'` balancer (0 to 65535). Default 1. */
  readonly weight?: number;
}

/**
 * Checks `peer`'s priority and weight, when given: a TypeError unless each is
 * a number, a RangeError unless it is an integer from 0 to 65535 (RFC 2782's
 * 16-bit fields). Messages name `name` (default `peer host:port`).
 */
export function checkWeighting(peer: WeightedPeer, name = `peer ${peer.address}:${peer.port}`): void {
  for (const field of ['priority', 'weight'] as const) {
    checkOptionalNumber(peer[field], `${name}.${field}`, { min: 0, max: 65535, integer: true });
  }
}

/** Chooses one of the candidates for a new attempt; pure apart from its own cursor. */
export interface Balancer {
  /** Chooses one of `candidates` (all eligible), or undefined when the list is empty. */
  pick<T extends BalancerCandidate>(candidates: readonly T[]): T | undefined;
}

/**
 * Power of two choices (Mitzenmacher): draw two distinct candidates at
 * random and take the one with fewer calls outstanding, the lower smoothed
 * RTT on a tie (unmeasured counts as fastest, so new endpoints get tried),
 * the first drawn on a full tie. Nearly as good as least-loaded and needs no
 * global view, so it degrades gracefully: a dead endpoint accumulates
 * outstanding calls and stops being chosen before it is even ejected.
 */
export function pickTwoChoices<T extends BalancerCandidate>(candidates: readonly T[], random: () => number): T | undefined {
  const n = candidates.length;
  if (n <= 1) return candidates[0];
  const i = Math.floor(random() * n);
  let j = Math.floor(random() * (n - 1));
  if (j >= i) j++;
  const a = candidates[i]!;
  const b = candidates[j]!;
  if (a.outstanding !== b.outstanding) return a.outstanding < b.outstanding ? a : b;
  const ra = a.srttMs ?? 0;
  const rb = b.srttMs ?? 0;
  return rb < ra ? b : a;
}

/** {@link pickTwoChoices} as a {@link Balancer}. */
export class TwoChoicesBalancer implements Balancer {
  constructor(private readonly random: () => number) {}

  /** Picks two candidates at random and returns the less loaded (fewer outstanding calls, then lower RTO). */
  pick<T extends BalancerCandidate>(candidates: readonly T[]): T | undefined {
    return pickTwoChoices(candidates, this.random);
  }
}

/**
 * Round robin over the endpoint list: each pick takes the first candidate at
 * or after the cursor (wrapping), then moves the cursor past it. Candidates
 * left out of a pick (ejected, already tried) are skipped without upsetting
 * the rotation of the others.
 */
export class RoundRobinBalancer implements Balancer {
  private cursor = 0;

  /** Returns the candidates in turn. */
  pick<T extends BalancerCandidate>(candidates: readonly T[]): T | undefined {
    let after: T | undefined;
    let first: T | undefined;
    for (const c of candidates) {
      if (first === undefined || c.seq < first.seq) first = c;
      if (c.seq >= this.cursor && (after === undefined || c.seq < after.seq)) after = c;
    }
    const chosen = after ?? first;
    if (chosen !== undefined) this.cursor = chosen.seq + 1;
    return chosen;
  }
}

/**
 * Smooth weighted round robin (the nginx upstream algorithm) over the
 * candidates' weights. Each pick adds every candidate's weight to its
 * running score, takes the highest score (the first in list order on a tie)
 * and subtracts the sum of the weights from the winner. Over any W = Σ weight
 * consecutive picks from the same candidates, each gets exactly its weight,
 * spread out rather than in runs (weights 5, 1, 1 give a a b a c a a).
 * Deterministic, so counts can be checked exactly; no random draw.
 *
 * Weight 0 (RFC 2782: "a very small chance of being selected") is read as
 * a backup within its priority: chosen only when no candidate of positive
 * weight is available. When all weights are 0, candidates share equally.
 *
 * Scores are kept per candidate object, so an endpoint keeps its place in
 * the rotation across endpoint-list updates; a candidate left out of a pick
 * (ejected, already tried by this call) keeps its score unchanged.
 */
export class SmoothWeightedBalancer implements Balancer {
  private readonly scores = new WeakMap<object, number>();

  /** Returns the candidate whose score is highest after adding each candidate's weight. */
  pick<T extends BalancerCandidate>(candidates: readonly T[]): T | undefined {
    if (candidates.length <= 1) return candidates[0];
    const positive = candidates.some((c) => (c.weight ?? 1) > 0);
    let total = 0;
    let chosen: T | undefined;
    let chosenScore = -Infinity;
    for (const c of candidates) {
      const weight = positive ? (c.weight ?? 1) : 1;
      if (weight <= 0) continue;
      const score = (this.scores.get(c) ?? 0) + weight;
      this.scores.set(c, score);
      total += weight;
      if (score > chosenScore) {
        chosen = c;
        chosenScore = score;
      }
    }
    if (chosen !== undefined) this.scores.set(chosen, chosenScore - total);
    return chosen;
  }
}

/**
 * The candidates of the best (lowest) priority among `candidates`, in their
 * order; `candidates` itself when all share one priority (the usual case, so
 * no array is made).
 */
export function bestPriority<T extends BalancerCandidate>(candidates: readonly T[]): readonly T[] {
  let best = Infinity;
  let mixed = false;
  for (const c of candidates) {
    const p = c.priority ?? 0;
    if (best !== Infinity && p !== best) mixed = true;
    if (p < best) best = p;
  }
  return mixed ? candidates.filter((c) => (c.priority ?? 0) === best) : candidates;
}

/**
 * Wraps a balancer so it only ever sees the best priority among the
 * candidates it is given (RFC 2782): the candidates are the endpoints in
 * rotation, so a priority whose endpoints are all ejected is skipped and the
 * next one takes the calls.
 */
export class PriorityBalancer implements Balancer {
  constructor(private readonly inner: Balancer) {}

  /** Lets the inner balancer choose among the candidates of the best priority. */
  pick<T extends BalancerCandidate>(candidates: readonly T[]): T | undefined {
    return this.inner.pick(bestPriority(candidates));
  }
}

/** The balancer named by `kind`, behind a {@link PriorityBalancer}. */
export function createBalancer(kind: BalancerKind, random: () => number): Balancer {
  const inner = kind === 'round-robin' ? new RoundRobinBalancer() : kind === 'weighted' ? new SmoothWeightedBalancer() : new TwoChoicesBalancer(random);
  return new PriorityBalancer(inner);
}
