import { describeValue } from '@udprpc/core/engine';
// A small, fast, seeded PRNG: sfc32 (Chris Doty-Humphrey's Small Fast Counter,
// from PractRand) with its 128-bit state filled by splitmix32. It passes
// PractRand to terabytes, costs a few integer ops per draw, and — unlike
// Math.random — gives the same sequence for the same seed on every engine.

const TWO_POW_32 = 0x1_0000_0000;

function splitmix32(state: number): { state: number; value: number } {
  const next = (state + 0x9e3779b9) | 0;
  let z = next;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return { state: next, value: (z ^ (z >>> 16)) >>> 0 };
}

function checkSeed(seed: number, what: string): void {
  if (typeof seed !== 'number') throw new TypeError(`${what}: seed must be a number, got ${describeValue(seed)}`);
  if (!Number.isSafeInteger(seed)) {
    throw new RangeError(`${what}: seed must be a safe integer, got ${String(seed)}`);
  }
}

/**
 * Creates a deterministic pseudo-random source of floats in [0, 1).
 *
 * The same `seed` always yields the same sequence (sfc32 seeded through
 * splitmix32; 32 bits of randomness per draw). Pass it wherever udprpc takes a
 * `random` option (message ids, session numbers, retry jitter) so that a run
 * can be replayed from its seed.
 *
 * @param seed - any safe integer (negative and values above 2^32 are fine).
 * @throws TypeError when `seed` is not a number, RangeError when it is not a safe integer.
 *
 * @example
 * const random = createRandom(42);
 * random(); // always the same first value for seed 42
 */
export function createRandom(seed: number): () => number {
  checkSeed(seed, 'createRandom');
  const lo = seed >>> 0;
  const hi = Math.floor(seed / TWO_POW_32) >>> 0;
  let s = lo ^ splitmix32(hi ^ 0x5bd1e995).value;
  const words: number[] = [];
  for (let i = 0; i < 4; i++) {
    const r = splitmix32(s);
    s = r.state;
    words.push(r.value);
  }
  let a = words[0]! | 0;
  let b = words[1]! | 0;
  let c = words[2]! | 0;
  let d = words[3]! | 0;
  const next = (): number => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return (t >>> 0) / TWO_POW_32;
  };
  // Warm-up recommended for sfc32 so nearby seeds diverge fully.
  for (let i = 0; i < 12; i++) next();
  return next;
}

/**
 * Derives an independent 32-bit seed for one component from a run's seed, so
 * that (for example) the network, the client and the server each get their
 * own stream while the whole run still replays from one number.
 *
 * @example
 * const net = new SimNetwork({ clock, seed: deriveSeed(seed, 'net') });
 * const random = createRandom(deriveSeed(seed, 'client'));
 */
export function deriveSeed(seed: number, label: string): number {
  checkSeed(seed, 'deriveSeed');
  // FNV-1a over the label's UTF-16 code units, then mixed with the seed.
  let h = 0x811c9dc5;
  for (let i = 0; i < label.length; i++) {
    h = Math.imul(h ^ label.charCodeAt(i), 0x01000193);
  }
  const lo = seed >>> 0;
  const hi = Math.floor(seed / TWO_POW_32) >>> 0;
  return splitmix32(splitmix32(lo ^ h).value ^ Math.imul(hi, 0x9e3779b1)).value;
}
