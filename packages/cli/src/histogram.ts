/** Smallest latency the histogram tells apart (1 µs); anything below counts as this. */
const LOWEST_MS = 0.001;
/** Largest latency it tells apart (1000 s); anything above counts as this. */
const HIGHEST_MS = 1_000_000;
/** Ratio between consecutive bucket bounds: 1% wide buckets, so percentiles are within ±0.5%. */
const GROWTH = 1.01;
const LOG_GROWTH = Math.log(GROWTH);
const BUCKETS = Math.ceil(Math.log(HIGHEST_MS / LOWEST_MS) / LOG_GROWTH) + 1;

/** One row of a displayed histogram: samples in `[fromMs, toMs)`. */
export interface HistogramRow {
  /** Lower bound (inclusive), in ms. */
  fromMs: number;
  /** Upper bound (exclusive), in ms. */
  toMs: number;
  /** Samples in the row. */
  count: number;
}

/**
 * A latency histogram of fixed size: log-spaced buckets 1% wide from 1 µs to
 * 1000 s (about 2300 counters), so a long benchmark records any number of
 * samples in constant memory. Min, max and mean are exact; percentiles are
 * read off the buckets.
 */
export class LatencyHistogram {
  private readonly counts = new Float64Array(BUCKETS);
  private total = 0;
  private sum = 0;
  private lowest = Infinity;
  private highest = -Infinity;

  /** Records one latency, in ms. */
  record(ms: number): void {
    if (!(ms >= 0)) return;
    this.counts[indexOf(ms)]!++;
    this.total++;
    this.sum += ms;
    if (ms < this.lowest) this.lowest = ms;
    if (ms > this.highest) this.highest = ms;
  }

  /** How many latencies were recorded. */
  get count(): number {
    return this.total;
  }

  /** Smallest recorded latency (NaN when empty). */
  get minMs(): number {
    return this.total === 0 ? NaN : this.lowest;
  }

  /** Largest recorded latency (NaN when empty). */
  get maxMs(): number {
    return this.total === 0 ? NaN : this.highest;
  }

  /** Mean latency (NaN when empty). */
  get meanMs(): number {
    return this.total === 0 ? NaN : this.sum / this.total;
  }

  /**
   * The latency at or below which `p` percent of the samples fall (nearest
   * rank), as the geometric middle of its bucket clamped to [min, max].
   * NaN when empty.
   */
  percentile(p: number): number {
    if (this.total === 0) return NaN;
    if (p >= 100) return this.highest;
    const rank = Math.max(1, Math.ceil((p / 100) * this.total));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) {
        const middle = lowerBound(i) * Math.sqrt(GROWTH);
        return Math.min(this.highest, Math.max(this.lowest, middle));
      }
    }
    return this.highest;
  }

  /**
   * The samples regrouped into wider log-spaced rows for display: bounds at
   * 1, 2 or 5 rows per factor of ten chosen so that the rows from the
   * smallest to the largest sample number at most `maxRows` (at least 1 per
   * decade, so very wide ranges can exceed it).
   */
  rows(maxRows = 20): HistogramRow[] {
    if (this.total === 0) return [];
    const minLog = Math.log10(Math.max(this.lowest, LOWEST_MS));
    const maxLog = Math.log10(Math.max(this.highest, LOWEST_MS));
    const perDecade = [10, 5, 2, 1].find((n) => Math.floor(maxLog * n) - Math.floor(minLog * n) + 1 <= maxRows) ?? 1;
    const first = Math.floor(minLog * perDecade);
    const last = Math.floor(maxLog * perDecade);
    const rows: HistogramRow[] = [];
    for (let k = first; k <= last; k++) {
      rows.push({ fromMs: 10 ** (k / perDecade), toMs: 10 ** ((k + 1) / perDecade), count: 0 });
    }
    for (let i = 0; i < BUCKETS; i++) {
      const c = this.counts[i]!;
      if (c === 0) continue;
      // A fine bucket goes to the row holding its middle, kept within the samples' range.
      const middle = Math.min(Math.max(lowerBound(i) * Math.sqrt(GROWTH), this.lowest), this.highest);
      const k = Math.floor(Math.log10(middle) * perDecade + 1e-9);
      rows[Math.min(rows.length - 1, Math.max(0, k - first))]!.count += c;
    }
    return rows;
  }
}

function indexOf(ms: number): number {
  if (ms <= LOWEST_MS) return 0;
  return Math.min(BUCKETS - 1, Math.floor(Math.log(ms / LOWEST_MS) / LOG_GROWTH));
}

function lowerBound(index: number): number {
  return LOWEST_MS * GROWTH ** index;
}

/**
 * Draws `rows` as text bars scaled to the fullest row, e.g.
 * `  0.200 – 0.316 ms  ██████████          1234  12.3%`.
 */
export function formatHistogram(rows: readonly HistogramRow[], barWidth = 40): string {
  const total = rows.reduce((n, r) => n + r.count, 0);
  if (total === 0) return '';
  const peak = Math.max(...rows.map((r) => r.count));
  const labels = rows.map((r) => `${formatMs(r.fromMs)} – ${formatMs(r.toMs)} ms`);
  const labelWidth = Math.max(...labels.map((l) => l.length));
  const countWidth = String(peak).length;
  return rows
    .map((r, i) => {
      const cells = r.count === 0 ? 0 : Math.max(1, Math.round((r.count / peak) * barWidth));
      const pct = ((100 * r.count) / total).toFixed(1).padStart(5);
      return `  ${labels[i]!.padStart(labelWidth)}  ${'█'.repeat(cells).padEnd(barWidth)}  ${String(r.count).padStart(countWidth)}  ${pct}%`;
    })
    .join('\n')
    .concat('\n');
}

/** A latency in ms with three significant digits (at least 3 decimals below 1 ms). */
export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return '-';
  if (ms >= 100) return ms.toFixed(0);
  if (ms >= 10) return ms.toFixed(1);
  if (ms >= 1) return ms.toFixed(2);
  return ms.toFixed(3);
}
