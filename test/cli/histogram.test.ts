import { describe, expect, it } from 'vitest';
import { formatHistogram, LatencyHistogram, parseDurationMs, summarizeRtts } from '@udprpc/cli';

describe('LatencyHistogram', () => {
  it('reads percentiles within 1% and keeps min, max and mean exact', () => {
    const h = new LatencyHistogram();
    for (let i = 1; i <= 1000; i++) h.record(i / 100); // 0.01 … 10 ms
    expect(h.count).toBe(1000);
    expect(h.minMs).toBe(0.01);
    expect(h.maxMs).toBe(10);
    expect(h.meanMs).toBeCloseTo(5.005, 9);
    for (const [p, exact] of [[50, 5], [90, 9], [99, 9.9], [99.9, 9.99]] as const) {
      expect(Math.abs(h.percentile(p) - exact) / exact).toBeLessThan(0.01);
    }
    expect(h.percentile(100)).toBe(10);
  });

  it('is empty-safe', () => {
    const h = new LatencyHistogram();
    expect(h.percentile(50)).toBeNaN();
    expect(h.rows()).toEqual([]);
    expect(formatHistogram(h.rows())).toBe('');
  });

  it('groups samples into log-spaced rows that hold every sample', () => {
    const h = new LatencyHistogram();
    for (const ms of [0.05, 0.2, 0.21, 3, 3.1, 3.2, 40]) h.record(ms);
    const rows = h.rows(20);
    expect(rows.reduce((n, r) => n + r.count, 0)).toBe(7);
    for (let i = 1; i < rows.length; i++) {
      expect(rows[i]!.fromMs).toBeCloseTo(rows[i - 1]!.toMs, 9);
      expect(rows[i]!.toMs / rows[i]!.fromMs).toBeCloseTo(rows[0]!.toMs / rows[0]!.fromMs, 9);
    }
    expect(rows.length).toBeLessThanOrEqual(20);
    const text = formatHistogram(rows);
    expect(text.trimEnd().split('\n')).toHaveLength(rows.length);
    expect(text).toMatch(/█ +3 +42\.9%/);
  });
});

describe('parseDurationMs', () => {
  it.each([
    ['500ms', 500],
    ['10s', 10_000],
    ['1.5s', 1500],
    ['2m', 120_000],
  ])('%s is %d ms', (text, ms) => {
    expect(parseDurationMs('bench', '--duration', text, 1, 3_600_000)).toBe(ms);
  });

  it.each(['10', 's', '-1s', '1h', '0ms', '2h'])('rejects %j', (text) => {
    expect(() => parseDurationMs('bench', '--duration', text, 1, 3_600_000)).toThrow(/expected a duration/);
  });
});

describe('summarizeRtts', () => {
  it('computes min/avg/max/mdev like ping(8)', () => {
    const s = summarizeRtts([1, 2, 3])!;
    expect(s).toMatchObject({ minMs: 1, avgMs: 2, maxMs: 3 });
    expect(s.mdevMs).toBeCloseTo(Math.sqrt(2 / 3), 9);
    expect(summarizeRtts([])).toBeUndefined();
  });
});
