/** Per-call latencies in a growable Float64Array; percentiles are exact (sorted copy). */
export class LatencyRecorder {
  private values = new Float64Array(4096);
  private n = 0;

  get count(): number {
    return this.n;
  }

  record(ms: number): void {
    if (this.n === this.values.length) {
      const bigger = new Float64Array(this.values.length * 2);
      bigger.set(this.values);
      this.values = bigger;
    }
    this.values[this.n++] = ms;
  }

  summary(): LatencySummary {
    const sorted = this.values.slice(0, this.n).sort();
    let sum = 0;
    for (let i = 0; i < sorted.length; i++) sum += sorted[i]!;
    return {
      count: this.n,
      meanUs: this.n === 0 ? null : (sum / this.n) * 1000,
      minUs: at(sorted, 0),
      p50Us: quantile(sorted, 0.5),
      p90Us: quantile(sorted, 0.9),
      p99Us: quantile(sorted, 0.99),
      p999Us: quantile(sorted, 0.999),
      maxUs: at(sorted, sorted.length - 1),
    };
  }
}

/** Latency percentiles in microseconds; null when nothing was measured. */
export interface LatencySummary {
  count: number;
  meanUs: number | null;
  minUs: number | null;
  p50Us: number | null;
  p90Us: number | null;
  p99Us: number | null;
  p999Us: number | null;
  maxUs: number | null;
}

function at(sorted: Float64Array, i: number): number | null {
  return sorted.length === 0 ? null : sorted[i]! * 1000;
}

/** Nearest-rank quantile: the smallest value with at least q of the samples at or below it. */
function quantile(sorted: Float64Array, q: number): number | null {
  if (sorted.length === 0) return null;
  return at(sorted, Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1)));
}
