// Interleaved rounds. This machine's speed drifts by ±20% over tens of
// seconds (other tenants, CPU frequency, idle states), so one window of
// udprpc followed by one of the baseline can differ by drift alone. A
// scenario therefore runs every row once per round, round after round
// (A B A B A B), and each row's result is the median over its rounds. Ratios
// are the median of the per-round ratios: each round's udprpc window sits
// next to that round's baseline window, which cancels slow drift.
import type { LatencySummary } from './latency.js';
import { addRatios, type ScenarioResult } from './report.js';
import type { RowResult } from './row.js';
import type { ScenarioPlan } from './scenarios.js';

/** Median of the finite values, or null. */
export function median(values: ReadonlyArray<number | null | undefined>): number | null {
  const xs = values.filter((v): v is number => v != null && Number.isFinite(v)).sort((a, b) => a - b);
  if (xs.length === 0) return null;
  const mid = xs.length >> 1;
  return xs.length % 2 === 1 ? xs[mid]! : (xs[mid - 1]! + xs[mid]!) / 2;
}

const LATENCY_KEYS = ['meanUs', 'minUs', 'p50Us', 'p90Us', 'p99Us', 'p999Us', 'maxUs'] as const;
const RATIO_KEYS = ['callsPerSec', 'p50', 'p99', 'p999', 'clientCpuPerCall', 'serverCpuPerCall', 'mbPerSec'] as const;

/** One row's rounds merged: medians of the measurements, sums of the counts, median per-round ratios. */
function mergeRow(rounds: RowResult[]): RowResult {
  const ok = rounds.filter((r) => r.status === 'ok');
  const first = rounds[0]!;
  if (ok.length === 0) return first;
  const pick = (f: (r: RowResult) => number | null | undefined): number | null => median(ok.map(f));
  const latencies = ok.map((r) => r.latency).filter((l): l is LatencySummary => l !== null);
  const latency: LatencySummary | null =
    latencies.length === 0
      ? null
      : {
          count: latencies.reduce((n, l) => n + l.count, 0),
          ...(Object.fromEntries(LATENCY_KEYS.map((k) => [k, median(latencies.map((l) => l[k]))])) as Omit<LatencySummary, 'count'>),
        };
  const errors: Record<string, number> = {};
  for (const r of ok) for (const [k, v] of Object.entries(r.errors)) errors[k] = (errors[k] ?? 0) + v;
  const completed = ok.reduce((n, r) => n + r.completed, 0);
  const failed = ok.reduce((n, r) => n + r.failed, 0);
  return {
    ...ok[ok.length - 1]!,
    elapsedMs: ok.reduce((n, r) => n + (r.elapsedMs ?? 0), 0),
    completed,
    failed,
    failedPct: completed + failed > 0 ? (100 * failed) / (completed + failed) : null,
    errors,
    callsPerSec: pick((r) => r.callsPerSec),
    latency,
    clientCpuUsPerCall: pick((r) => r.clientCpuUsPerCall),
    serverCpuUsPerCall: pick((r) => r.serverCpuUsPerCall),
    clientMaxRssBytes: maxOf(ok.map((r) => r.clientMaxRssBytes)),
    serverMaxRssBytes: maxOf(ok.map((r) => r.serverMaxRssBytes)),
    clientIdleRssBytes: minOf(ok.map((r) => r.clientIdleRssBytes)),
    serverIdleRssBytes: minOf(ok.map((r) => r.serverIdleRssBytes)),
    mbPerSec: pick((r) => r.mbPerSec),
    deliveredPct: pick((r) => r.deliveredPct),
    ratios: Object.fromEntries(RATIO_KEYS.map((k) => [k, median(ok.map((r) => r.ratios[k]))])),
    rounds: ok.length,
    roundRatios: Object.fromEntries(RATIO_KEYS.map((k) => [k, ok.map((r) => r.ratios[k] ?? null)])),
  };
}

function minOf(values: ReadonlyArray<number | null>): number | null {
  const xs = values.filter((v): v is number => v !== null);
  return xs.length === 0 ? null : Math.min(...xs);
}

function maxOf(values: ReadonlyArray<number | null>): number | null {
  const xs = values.filter((v): v is number => v !== null);
  return xs.length === 0 ? null : Math.max(...xs);
}

/**
 * The scenario's result from its rounds (each an array of rows in plan
 * order): per-round ratios first, then every row merged over its rounds.
 */
export function mergeRounds(plan: ScenarioPlan, rounds: RowResult[][]): ScenarioResult {
  for (const rows of rounds) addRatios(plan, rows);
  const merged = plan.rows.map((_, i) => mergeRow(rounds.map((rows) => rows[i]!)));
  return { ...addRatiosKeeping(plan, merged) };
}

// The merged rows already carry median per-round ratios; keep them.
function addRatiosKeeping(plan: ScenarioPlan, rows: RowResult[]): ScenarioResult {
  const ratios = rows.map((r) => r.ratios);
  const result = addRatios(plan, rows);
  result.rows.forEach((r, i) => (r.ratios = ratios[i]!));
  return result;
}
