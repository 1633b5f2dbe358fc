import type { BalancerKind } from './routing-policy.js';

/** What a balancer needs to know about an endpoint. */
export interface BalancerCandidate {
  /** Position in the client's endpoint list (stable while the endpoint stays). */
  readonly seq: number;
  /** Attempts in flight to it (and reserved for calls about to start). */
  readonly outstanding: number;
  /** Smoothed RTT, once measured. */
  readonly srttMs: number | undefined;
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

/** The balancer named by `kind`. */
export function createBalancer(kind: BalancerKind, random: () => number): Balancer {
  return kind === 'round-robin' ? new RoundRobinBalancer() : new TwoChoicesBalancer(random);
}
