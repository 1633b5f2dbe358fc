// The results: ratios against each scenario's baseline, a table for stdout,
// and the JSON document written to bench/results/<timestamp>.json.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import type { BenchConfig } from './config.js';
import type { GoalResult } from './goals.js';
import type { RowResult } from './row.js';
import type { ScenarioPlan } from './scenarios.js';

export interface ScenarioResult {
  id: string;
  title: string;
  inFlight: number;
  payloadBytes: number;
  lossRate: number;
  baseline: string;
  rows: RowResult[];
}

export interface BenchReport {
  schema: 'udprpc-bench/1';
  startedAt: string;
  finishedAt: string;
  mode: BenchConfig['mode'];
  config: Omit<BenchConfig, 'maxCalls'> & { maxCalls: number | null };
  environment: {
    node: string;
    platform: string;
    arch: string;
    cpus: number;
    cpuModel: string;
    /** 1-minute load average when the run started and when it ended: other work on the machine skews every number. */
    loadAvgStart: number;
    loadAvgEnd: number;
  };
  peers: Record<string, string>;
  scenarios: ScenarioResult[];
  /** The issue's targets, as this run measured them (bench/lib/goals.ts). */
  goals?: GoalResult[];
}

/** Fills `ratios` of every row: value / baseline value (calls/s and MB/s: higher is better; the rest: lower is). */
export function addRatios(plan: ScenarioPlan, rows: RowResult[]): ScenarioResult {
  const base = rows.find((r) => r.label === plan.baseline && r.status === 'ok');
  const ratio = (a: number | null | undefined, b: number | null | undefined): number | null =>
    a == null || b == null || b === 0 ? null : a / b;
  for (const r of rows) {
    r.ratios = {
      callsPerSec: ratio(r.callsPerSec, base?.callsPerSec),
      p50: ratio(r.latency?.p50Us, base?.latency?.p50Us),
      p99: ratio(r.latency?.p99Us, base?.latency?.p99Us),
      p999: ratio(r.latency?.p999Us, base?.latency?.p999Us),
      clientCpuPerCall: ratio(r.clientCpuUsPerCall, base?.clientCpuUsPerCall),
      serverCpuPerCall: ratio(r.serverCpuUsPerCall, base?.serverCpuUsPerCall),
      mbPerSec: ratio(r.mbPerSec, base?.mbPerSec),
    };
  }
  return { id: plan.id, title: plan.title, inFlight: plan.inFlight, payloadBytes: plan.payloadBytes, lossRate: plan.lossRate, baseline: plan.baseline, rows };
}

const fmt = (v: number | null | undefined, digits = 0): string =>
  v == null || !Number.isFinite(v) ? '-' : v >= 100_000 ? Math.round(v).toLocaleString('en-US') : v.toFixed(digits);
const x = (v: number | null | undefined): string => (v == null ? '' : `${v.toFixed(2)}x`);
// Large numbers get thousands separators; tiny per-call CPU gets one decimal.
const mb = (v: number | null | undefined): string => (v == null ? '-' : (v / 1048576).toFixed(0));

/** The table printed on stdout. */
export function formatTable(results: ScenarioResult[], peers: Record<string, string>, loadAvgStart: number): string {
  const head = ['impl', 'calls/s', 'vs', 'p50 µs', 'vs', 'p99 µs', 'vs', 'p99.9 µs', 'cli CPU µs/call', 'vs', 'srv CPU µs/call', 'vs', 'peak RSS cli/srv MiB', 'failed', 'MB/s', 'vs'];
  const lines: string[] = [];
  for (const s of results) {
    const body: string[][] = s.rows.map((r) => {
      if (r.status !== 'ok') return [r.label, r.status === 'error' ? `error: ${(r.error ?? '').slice(0, 80)}` : r.status];
      const lat = r.latency;
      const failed = r.failed === 0 ? '0' : `${r.failed} (${fmt(r.failedPct, 1)}%)`;
      return [
        r.label,
        fmt(r.callsPerSec),
        x(r.ratios.callsPerSec),
        fmt(lat?.p50Us),
        x(r.ratios.p50),
        fmt(lat?.p99Us),
        x(r.ratios.p99),
        fmt(lat?.p999Us),
        fmt(r.clientCpuUsPerCall, r.clientCpuUsPerCall != null && r.clientCpuUsPerCall < 100 ? 1 : 0),
        x(r.ratios.clientCpuPerCall),
        fmt(r.serverCpuUsPerCall, r.serverCpuUsPerCall != null && r.serverCpuUsPerCall < 100 ? 1 : 0),
        x(r.ratios.serverCpuPerCall),
        `${mb(r.clientMaxRssBytes)}/${mb(r.serverMaxRssBytes)}`,
        failed,
        r.mbPerSec == null ? '-' : `${r.mbPerSec.toFixed(1)}${r.deliveredPct == null ? '' : ` (${r.deliveredPct.toFixed(0)}% arrived)`}`,
        x(r.ratios.mbPerSec),
      ];
    });
    const widths = head.map((h, i) => Math.max(h.length, ...body.filter((b) => b.length > 2).map((b) => (b[i] ?? '').length)));
    const row = (cells: string[]): string =>
      cells.length <= 2 ? `  ${(cells[0] ?? '').padEnd(widths[0]!)}  ${cells[1] ?? ''}` : `  ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')}`;
    lines.push(`${s.id}: ${s.title}   [baseline: ${s.baseline}]`, row(head), ...body.map(row), '');
  }
  const skipped = Object.entries(peers).filter(([, v]) => v !== 'measured');
  for (const [name, why] of skipped) lines.push(`${name}: ${why}`);
  // The bench itself keeps about two processes busy, so the end-of-run load is allowed ~2 more.
  const n = cpus().length;
  const loadEnd = loadavg()[0] ?? 0;
  if (loadAvgStart > n / 2 || loadEnd > n + 1) {
    lines.push(`note: the machine was busy (1-min load average ${loadAvgStart.toFixed(1)} at the start, ${loadEnd.toFixed(1)} at the end, ${n} CPUs): other processes skew these numbers.`);
  }
  lines.push(
    'calls/s and MB/s: higher is better; latency, CPU: lower. "vs" = this row / the baseline row. Latencies are exact percentiles of every',
    'call in the window; CPU = process user+system time over the window per completed call; RSS = peak (maxRSS) of each process.',
  );
  return lines.join('\n');
}

export function buildReport(
  config: BenchConfig,
  startedAt: Date,
  loadAvgStart: number,
  peers: Record<string, string>,
  scenarios: ScenarioResult[],
): BenchReport {
  const cpu = cpus();
  return {
    schema: 'udprpc-bench/1',
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    mode: config.mode,
    config: { ...config, maxCalls: Number.isFinite(config.maxCalls) ? config.maxCalls : null },
    environment: {
      node: process.version,
      platform: process.platform,
      arch: process.arch,
      cpus: cpu.length,
      cpuModel: cpu[0]?.model ?? 'unknown',
      loadAvgStart,
      loadAvgEnd: loadavg()[0] ?? 0,
    },
    peers,
    scenarios,
  };
}

/** Writes the report as `<outDir>/<timestamp>.json`; returns the path. */
export function writeReport(report: BenchReport, outDir: string): string {
  mkdirSync(outDir, { recursive: true });
  const path = join(outDir, `${report.startedAt.replace(/[:.]/g, '-')}.json`);
  writeFileSync(path, `${JSON.stringify(report, null, 2)}\n`);
  return path;
}
