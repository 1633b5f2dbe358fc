/**
 * The most recent `capacity` latencies, for a percentile estimate (the hedge
 * delay). A ring buffer: memory is fixed, old samples fall out, so the
 * estimate follows changes in the servers' speed. The sorted copy is rebuilt
 * lazily, and only after the samples grew or changed by an eighth, so asking
 * for the quantile on every call stays cheap.
 */
export class LatencyWindow {
  private readonly ring: Float64Array;
  private next = 0;
  private filled = 0;
  private sorted: Float64Array | undefined;
  private addedSinceSort = 0;

  /** @param capacity - How many recent samples the window keeps. */
  constructor(readonly capacity: number) {
    if (!(Number.isInteger(capacity) && capacity >= 1)) throw new RangeError(`capacity must be a positive integer, got ${capacity}`);
    this.ring = new Float64Array(capacity);
  }

  /** Samples held (at most `capacity`). */
  get size(): number {
    return this.filled;
  }

  /** Records one latency in ms; negative or non-finite values are ignored. */
  add(ms: number): void {
    if (!(ms >= 0 && ms < Infinity)) return;
    this.ring[this.next] = ms;
    this.next = (this.next + 1) % this.capacity;
    if (this.filled < this.capacity) this.filled++;
    this.addedSinceSort++;
  }

  /**
   * The `q`-quantile (0 ≤ q ≤ 1) by the nearest-rank method, or undefined
   * with no samples.
   */
  quantile(q: number): number | undefined {
    if (this.filled === 0) return undefined;
    if (this.sorted === undefined || this.addedSinceSort * 8 >= this.filled) {
      this.sorted = this.ring.slice(0, this.filled).sort();
      this.addedSinceSort = 0;
    }
    const n = this.sorted.length;
    const rank = Math.min(n, Math.max(1, Math.ceil(q * n)));
    return this.sorted[rank - 1];
  }
}
