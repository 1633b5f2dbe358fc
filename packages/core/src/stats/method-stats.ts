import type { ErrorCode } from '../errors.js';

/**
 * The part of a latency histogram that {@link MethodStatsTable} uses. Node's
 * `perf_hooks.createHistogram()` (an HdrHistogram) fits; the client and
 * server inject it, so this file stays free of `node:*` (CONVENTIONS: core
 * imports nothing outside itself).
 */
export interface LatencyHistogram {
  /** Records one value, an integer ≥ 1. */
  record(value: number): void;
  /** The value below which `percentile` % of the recorded values fall. */
  percentile(percentile: number): number;
}

/** Per-method figures of a client's or server's `stats()`. */
export interface MethodStats {
  /** Calls that ended (with a result or an error). */
  readonly count: number;
  /** Of those, the ones that ended with an error, by code. */
  readonly errors: Partial<Record<ErrorCode, number>>;
  /**
   * Latency percentiles and maximum in milliseconds, recorded with a
   * resolution of 1 µs. The percentiles are HdrHistogram values (3
   * significant figures: exact below 2.048 ms, within 0.1% above); `maxMs` is
   * exact. All 0 while `count` is 0.
   */
  readonly latencyMs: {
    /** Median latency, ms. */
    readonly p50: number;
    /** 90th percentile, ms. */
    readonly p90: number;
    /** 99th percentile, ms. */
    readonly p99: number;
    /** Largest latency seen, ms (exact). */
    readonly max: number;
  };
}

/** One method's mutable record (internal to the client and server). */
export class MethodRecord {
  /** Calls of this method that ended. */
  count = 0;
  /** Of those, the ones that failed, by code. */
  readonly errors: Partial<Record<ErrorCode, number>> = {};
  private maxUs = 0;

  constructor(private readonly histogram: LatencyHistogram) {}

  /** Books one ended call: `code` undefined for success, its latency in ms. */
  record(code: ErrorCode | undefined, latencyMs: number): void {
    this.count++;
    if (code !== undefined) this.errors[code] = (this.errors[code] ?? 0) + 1;
    // Integer microseconds, at least 1: the histogram takes integers ≥ 1.
    const us = latencyMs > 0.001 ? Math.round(latencyMs * 1000) : 1;
    this.histogram.record(us);
    if (us > this.maxUs) this.maxUs = us;
  }

  /** The counts and percentiles now. */
  snapshot(): MethodStats {
    const h = this.histogram;
    const zero = this.count === 0;
    return {
      count: this.count,
      errors: { ...this.errors },
      latencyMs: {
        p50: zero ? 0 : h.percentile(50) / 1000,
        p90: zero ? 0 : h.percentile(90) / 1000,
        p99: zero ? 0 : h.percentile(99) / 1000,
        max: this.maxUs / 1000,
      },
    };
  }
}

/**
 * Per-method counts and latencies, keyed by `service.method`. Holds only
 * names the owner registers (the client's own methods, the server's
 * implemented ones), never names a peer sent: a peer cannot grow it.
 */
export class MethodStatsTable {
  private readonly records = new Map<string, MethodRecord>();

  constructor(private readonly createHistogram: () => LatencyHistogram) {}

  /** The record of `path` (`service.method`), created on first use. */
  of(path: string): MethodRecord {
    let record = this.records.get(path);
    if (record === undefined) {
      record = new MethodRecord(this.createHistogram());
      this.records.set(path, record);
    }
    return record;
  }

  /** Every method with at least one ended call. */
  snapshot(): Record<string, MethodStats> {
    const out: Record<string, MethodStats> = {};
    for (const [path, record] of this.records) if (record.count > 0) out[path] = record.snapshot();
    return out;
  }
}
