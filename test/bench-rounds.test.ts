// The benchmark's interleaved rounds (bench/lib/rounds.ts): a row is the
// median of its rounds, and a ratio the median of the per-round ratios, each
// against the baseline of the same round.
import { describe, expect, it } from 'vitest';
import { median, mergeRounds } from '../bench/lib/rounds.js';
import { emptyRow, type RowResult } from '../bench/lib/row.js';
import type { ScenarioPlan } from '../bench/lib/scenarios.js';

const plan: ScenarioPlan = {
  id: 'add-64',
  title: 'add',
  op: 'add',
  payloadBytes: 0,
  inFlight: 64,
  lossRate: 0,
  throughput: false,
  baseline: 'raw-dgram',
  rows: [
    { impl: 'udprpc', label: 'udprpc' },
    { impl: 'raw-dgram', label: 'raw-dgram' },
  ],
  load: { warmupMs: 0, warmupMinCalls: 0, durationMs: 1, minCalls: 1, maxCalls: null },
  timeoutMs: 5000,
};

function row(label: string, callsPerSec: number, p50Us: number, completed = 100): RowResult {
  return {
    ...emptyRow({ impl: label === 'udprpc' ? 'udprpc' : 'raw-dgram', label }, 'ok'),
    elapsedMs: 1000,
    completed,
    callsPerSec,
    clientCpuUsPerCall: 10,
    serverCpuUsPerCall: 10,
    clientMaxRssBytes: callsPerSec,
    serverMaxRssBytes: 1,
    latency: { count: completed, meanUs: p50Us, minUs: 1, p50Us, p90Us: p50Us, p99Us: p50Us, p999Us: p50Us, maxUs: p50Us },
  };
}

describe('bench rounds', () => {
  it('median of finite values', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([null, undefined, Number.NaN])).toBeNull();
    expect(median([5, null])).toBe(5);
  });

  it('rows are medians of their rounds; ratios are medians of per-round ratios, not ratios of medians', () => {
    // The machine slows down in round 2: both rows drop, their ratio does not.
    const rounds = [
      [row('udprpc', 90, 100), row('raw-dgram', 100, 100)],
      [row('udprpc', 45, 200), row('raw-dgram', 50, 180)],
      [row('udprpc', 110, 90), row('raw-dgram', 100, 100)],
    ];
    const result = mergeRounds(plan, rounds);
    const [ours, base] = result.rows;
    expect(ours!.callsPerSec).toBe(90);
    expect(base!.callsPerSec).toBe(100);
    // Per-round ratios 0.9, 0.9, 1.1 → 0.9.
    expect(ours!.ratios.callsPerSec).toBeCloseTo(0.9);
    // p50 per-round ratios 1.0, 200/180, 0.9 → 1.0; every round's ratio is kept in the JSON.
    expect(ours!.roundRatios!.p50!.map((v) => Number(v!.toFixed(3)))).toEqual([1, 1.111, 0.9]);
    expect(ours!.ratios.p50).toBeCloseTo(1);
    expect(base!.ratios.callsPerSec).toBe(1);
    expect(ours!.completed).toBe(300);
    expect(ours!.rounds).toBe(3);
    // Peak RSS is the maximum over the rounds.
    expect(ours!.clientMaxRssBytes).toBe(110);
  });

  it('a ratio of medians and a median of ratios differ when the baseline drifts', () => {
    const rounds = [
      [row('udprpc', 80, 100), row('raw-dgram', 100, 100)],
      [row('udprpc', 100, 100), row('raw-dgram', 200, 100)],
      [row('udprpc', 120, 100), row('raw-dgram', 110, 100)],
    ];
    const [ours] = mergeRounds(plan, rounds).rows;
    // Ratio of medians: 100 / 110 = 0.909; per-round ratios 0.8, 0.5, 1.09 → median 0.8.
    expect(ours!.ratios.callsPerSec).toBeCloseTo(0.8);
  });

  it('failed rounds are left out, and a row that never ran stays as it was', () => {
    const failed = { ...emptyRow({ impl: 'udprpc', label: 'udprpc' }, 'error', 'boom') };
    const rounds = [
      [failed, row('raw-dgram', 100, 100)],
      [row('udprpc', 50, 100), row('raw-dgram', 100, 100)],
    ];
    const [ours] = mergeRounds(plan, rounds).rows;
    expect(ours!.callsPerSec).toBe(50);
    expect(ours!.rounds).toBe(1);
    const never = mergeRounds(plan, [[failed, row('raw-dgram', 100, 100)]]).rows[0]!;
    expect(never.status).toBe('error');
  });
});
