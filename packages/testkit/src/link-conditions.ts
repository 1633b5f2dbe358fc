import { checkNumber, checkObject, describeValue } from '@udprpc/core/engine';
import { MAX_UDP_PAYLOAD } from '@udprpc/core/wire';

/**
 * A one-way delay: a fixed number of milliseconds, a uniform range, or a
 * function drawing from the network's seeded random source (return ms >= 0;
 * anything else counts as 0). Use the function form for other distributions,
 * e.g. `(r) => 5 - 3 * Math.log(1 - r())` for 5 ms plus exponential jitter.
 */
export type DelayDistribution =
  | number
  | {
      /** Shortest delay, ms. */
      readonly min: number;
      /** Longest delay, ms. */
      readonly max: number;
    }
  | ((random: () => number) => number);

/**
 * How one direction of a simulated link treats datagrams. Every field is
 * optional; missing ones mean "perfect" (or fall back to the network's
 * defaults when set on a link).
 */
export interface LinkConditions {
  /** Probability in [0, 1] that a datagram is lost. Default 0. */
  loss?: number;
  /**
   * Probability in [0, 1] that a datagram is duplicated: one extra copy,
   * delayed (and possibly corrupted) independently. Default 0.
   */
  duplicate?: number;
  /** One-way delay of each copy. Default 0. */
  delayMs?: DelayDistribution;
  /**
   * Probability in [0, 1] that a copy is held back by an extra delay drawn
   * uniformly from (0, `reorderDelayMs`], so datagrams sent after it can
   * overtake it. Default 0.
   */
  reorder?: number;
  /** Largest extra delay of a held-back copy. Default 20 ms. */
  reorderDelayMs?: number;
  /** Probability in [0, 1] that a copy arrives with exactly one bit flipped. Default 0. */
  corrupt?: number;
  /**
   * Largest datagram (bytes) the link carries; larger ones are dropped and
   * counted in `mtuDropped`. Default 65,507, the largest UDP payload.
   */
  mtu?: number;
}

/** @internal Conditions checked and turned into plain numbers and a sampler. */
export interface ResolvedLink {
  readonly loss: number;
  readonly duplicate: number;
  readonly reorder: number;
  readonly reorderDelayMs: number;
  readonly corrupt: number;
  readonly mtu: number;
  sampleDelay(random: () => number): number;
}

function probability(value: number | undefined, what: string): number {
  return checkNumber(value ?? 0, what, { min: 0, max: 1 });
}

function milliseconds(value: number, what: string): number {
  return checkNumber(value, what, { min: 0 });
}

function delaySampler(delay: DelayDistribution | undefined, what: string): (random: () => number) => number {
  if (delay === undefined) return () => 0;
  if (typeof delay === 'number') {
    const fixed = milliseconds(delay, what);
    return () => fixed;
  }
  if (typeof delay === 'function') {
    return (random) => {
      const ms = delay(random);
      return ms >= 0 && Number.isFinite(ms) ? ms : 0;
    };
  }
  if (typeof delay !== 'object' || delay === null) throw new TypeError(`${what} must be a number, a function or { min, max }, got ${describeValue(delay)}`);
  const min = milliseconds(delay.min, `${what}.min`);
  const max = milliseconds(delay.max, `${what}.max`);
  if (min > max) throw new RangeError(`${what}: min (${min}) is above max (${max})`);
  if (min === max) return () => min;
  return (random) => min + (max - min) * random();
}

/**
 * @internal Validates `conditions` (throwing TypeError on a value of the wrong
 * type, RangeError on one out of range) and
 * resolves their defaults.
 */
export function resolveLink(conditions: LinkConditions, what = 'LinkConditions'): ResolvedLink {
  checkObject(conditions as unknown, what);
  const mtu = checkNumber(conditions.mtu ?? MAX_UDP_PAYLOAD, `${what}.mtu`, { min: 0, integer: true });
  return {
    loss: probability(conditions.loss, `${what}.loss`),
    duplicate: probability(conditions.duplicate, `${what}.duplicate`),
    reorder: probability(conditions.reorder, `${what}.reorder`),
    reorderDelayMs: milliseconds(conditions.reorderDelayMs ?? 20, `${what}.reorderDelayMs`),
    corrupt: probability(conditions.corrupt, `${what}.corrupt`),
    mtu,
    sampleDelay: delaySampler(conditions.delayMs, `${what}.delayMs`),
  };
}
