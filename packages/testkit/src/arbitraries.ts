import fc from 'fast-check';
import type { LinkConditions } from './link-conditions.js';
import type { ScheduledCall } from './schedule-calls.js';

/** Bounds of {@link netConditions}. */
export interface NetConditionsOptions {
  /** Default 0.3. */
  maxLoss?: number;
  /** Default 0.2. */
  maxDuplicate?: number;
  /** Largest one-way delay (ms). Default 50. */
  maxDelayMs?: number;
  /** Largest reorder probability. Default 0.1. */
  maxReorder?: number;
  /** Largest corruption probability. Default 0: corruption is left out. */
  maxCorrupt?: number;
}

/** A probability in [0, max] in steps of 0.001, so counterexamples print short and shrink to 0. */
function probability(max: number, what: string): fc.Arbitrary<number> {
  if (!(max >= 0 && max <= 1)) throw new RangeError(`${what} must be in [0, 1], got ${max}`);
  return fc.integer({ min: 0, max: Math.floor(max * 1000) }).map((n) => n / 1000);
}

/**
 * Conditions of one link direction: loss, duplication, a uniform delay range
 * with whole milliseconds, reordering, and (only if `maxCorrupt` > 0)
 * corruption. Shrinks towards a perfect link.
 */
export function netConditions(options: NetConditionsOptions = {}): fc.Arbitrary<LinkConditions> {
  const maxDelayMs = options.maxDelayMs ?? 50;
  if (!Number.isInteger(maxDelayMs) || maxDelayMs < 0) throw new RangeError(`maxDelayMs must be an integer >= 0, got ${maxDelayMs}`);
  const maxCorrupt = options.maxCorrupt ?? 0;
  const delay = fc.integer({ min: 0, max: maxDelayMs });
  const base = fc.record({
    loss: probability(options.maxLoss ?? 0.3, 'maxLoss'),
    duplicate: probability(options.maxDuplicate ?? 0.2, 'maxDuplicate'),
    delayMs: fc.tuple(delay, delay).map(([x, y]) => ({ min: Math.min(x, y), max: Math.max(x, y) })),
    reorder: probability(options.maxReorder ?? 0.1, 'maxReorder'),
    reorderDelayMs: fc.integer({ min: 1, max: Math.max(1, maxDelayMs) }),
  });
  if (maxCorrupt === 0) return base;
  return fc
    .tuple(base, probability(maxCorrupt, 'maxCorrupt'))
    .map(([conditions, corrupt]): LinkConditions => ({ ...conditions, corrupt }));
}

/** Independent conditions for the two directions of a link. */
export interface AsymmetricConditions {
  /** Client → server. */
  readonly up: LinkConditions;
  /** Server → client. */
  readonly down: LinkConditions;
}

/** Two independently drawn {@link netConditions}, one per direction. */
export function asymmetricConditions(options: NetConditionsOptions = {}): fc.Arbitrary<AsymmetricConditions> {
  return fc.record({ up: netConditions(options), down: netConditions(options) });
}

/** Bounds of {@link callSchedule}. */
export interface CallScheduleOptions {
  /** Default 1. */
  minCalls?: number;
  /** Default 10. */
  maxCalls?: number;
  /** Latest start (ms, whole). Default 1000. */
  maxStartMs?: number;
}

/**
 * A list of calls with start times, sorted by `startAtMs` (stable), each with
 * an `input` from the given arbitrary. Feed it to `scheduleCalls`.
 */
export function callSchedule<I>(
  input: fc.Arbitrary<I>,
  options: CallScheduleOptions = {},
): fc.Arbitrary<ScheduledCall<I>[]> {
  const maxStartMs = options.maxStartMs ?? 1000;
  const entry = fc.record({ startAtMs: fc.integer({ min: 0, max: maxStartMs }), input });
  return fc
    .array(entry, { minLength: options.minCalls ?? 1, maxLength: options.maxCalls ?? 10 })
    .map((calls) => [...calls].sort((x, y) => x.startAtMs - y.startAtMs));
}

/** Seeds for `createRandom`/`SimNetwork`: unsigned 32-bit integers. */
export function seeds(): fc.Arbitrary<number> {
  return fc.integer({ min: 0, max: 0xffff_ffff });
}
