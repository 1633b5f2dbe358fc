// What `npm run bench` measures. Each scenario has rows (implementations);
// one of them is the baseline the others are compared with.
import type { BenchConfig } from './config.js';

export type Impl = 'udprpc' | 'raw-dgram' | 'raw-blast' | 'k-rpc-socket' | 'coap';
export const PEER_IMPLS: readonly Impl[] = ['k-rpc-socket', 'coap'];

export interface RowPlan {
  impl: Impl;
  /** Unique within the scenario, e.g. `udprpc dgram=1200`. */
  label: string;
  maxDatagramBytes?: number;
  /** udprpc only: frame coalescing (default on). */
  coalesce?: boolean;
  /** udprpc only: `add` declared with zod schemas, validated by the client and the server. */
  schema?: 'zod';
}

export interface LoadPlan {
  warmupMs: number;
  warmupMinCalls: number;
  durationMs: number;
  minCalls: number;
  /** null: no limit. */
  maxCalls: number | null;
}

export interface ScenarioPlan {
  id: string;
  title: string;
  op: 'add' | 'echo';
  /** Echo payload size (bytes); 0 for add. */
  payloadBytes: number;
  inFlight: number;
  lossRate: number;
  /** Report MB/s (large messages). */
  throughput: boolean;
  /** Label of the row the others are compared with. */
  baseline: string;
  rows: RowPlan[];
  load: LoadPlan;
  /** udprpc per-call deadline. */
  timeoutMs: number;
}

const MiB = 1024 * 1024;
/**
 * Large echoes carry `size − 64` payload bytes, so that the request (payload
 * plus method name, deadline and msgpack header) stays within the engine's
 * 16 MiB message limit for the 16 MiB case.
 */
export const LARGE_OVERHEAD_BYTES = 64;

export function planScenarios(c: BenchConfig): ScenarioPlan[] {
  const small: LoadPlan = {
    warmupMs: c.warmupMs,
    warmupMinCalls: c.mode === 'smoke' ? 10 : 1,
    durationMs: c.durationMs,
    minCalls: 1,
    maxCalls: Number.isFinite(c.maxCalls) ? c.maxCalls : null,
  };
  const large: LoadPlan = { ...small, warmupMinCalls: 1, maxCalls: c.mode === 'smoke' ? 2 : null };
  const peers: RowPlan[] = c.peers ? PEER_IMPLS.map((impl) => ({ impl, label: impl })) : [];
  const udprpc: RowPlan = { impl: 'udprpc', label: 'udprpc' };
  const udprpcPlain: RowPlan = { impl: 'udprpc', label: 'udprpc coalesce=off', coalesce: false };
  const raw: RowPlan = { impl: 'raw-dgram', label: 'raw-dgram' };
  const plans: ScenarioPlan[] = [
    call('add-1', 'add {a,b} -> number, 1 in flight', 1, [udprpc, raw, ...peers]),
    call('add-64', 'add {a,b} -> number, 64 in flight', 64, [udprpc, udprpcPlain, raw, ...peers]),
    // The cost of validation (issue 16): the same add with a zod input and output schema, against plain udprpc.
    { ...call('add-64-zod', 'add, 64 in flight, without and with zod schemas (client and server validate)', 64, [udprpc, { impl: 'udprpc', label: 'udprpc zod', schema: 'zod' }]), baseline: 'udprpc' },
    { ...call('echo-1k-64', 'echo 1 KiB, 64 in flight', 64, [udprpc, raw]), op: 'echo', payloadBytes: 1024 },
  ];
  for (const size of c.largeSizes) {
    const name = size % MiB === 0 ? `${size / MiB}mib` : `${size}b`;
    plans.push({
      id: `echo-${name}`,
      title: `echo ${formatSize(size)} (payload ${size - LARGE_OVERHEAD_BYTES} B), 1 in flight; MB/s both ways`,
      op: 'echo',
      payloadBytes: size - LARGE_OVERHEAD_BYTES,
      inFlight: 1,
      lossRate: 0,
      throughput: true,
      baseline: 'raw-blast',
      rows: [
        // Default options: 1200-byte datagrams to start with, then what path MTU discovery finds (protocol.md §7.5).
        { impl: 'udprpc', label: 'udprpc' },
        ...c.datagramSizes.map((d): RowPlan => ({ impl: 'udprpc', label: `udprpc dgram=${d}`, maxDatagramBytes: d })),
        { impl: 'raw-blast', label: 'raw-blast' },
      ],
      load: large,
      timeoutMs: 120_000,
    });
    if (size <= MiB) {
      plans.push({
        ...plans[plans.length - 1]!,
        id: `echo-${name}-loss`,
        title: `echo ${formatSize(size)}, 1 in flight, udprpc with ${Math.round(c.lossRate * 1000) / 10}% loss each way (client side); raw-blast without loss`,
        lossRate: c.lossRate,
      });
    }
  }
  const pct = Math.round(c.lossRate * 1000) / 10;
  plans.push({
    ...call('add-64-loss', `add, 64 in flight, ${pct}% loss each way (client side)`, 64, [udprpc, raw]),
    lossRate: c.lossRate,
  });

  return plans
    .filter((p) => c.only.length === 0 || c.only.includes(p.id))
    .map((p) => ({ ...p, rows: p.rows.filter((r) => c.impls.length === 0 || c.impls.includes(r.impl)) }))
    .filter((p) => p.rows.length > 0);

  function call(id: string, title: string, inFlight: number, rows: RowPlan[]): ScenarioPlan {
    return { id, title, op: 'add', payloadBytes: 0, inFlight, lossRate: 0, throughput: false, baseline: 'raw-dgram', rows, load: small, timeoutMs: 5000 };
  }
}

export function formatSize(bytes: number): string {
  if (bytes % MiB === 0) return `${bytes / MiB} MiB`;
  if (bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} B`;
}

/** Interleaved rounds for `plan` (bench/lib/rounds.ts): `--rounds` for small calls; large transfers take long enough to run once. */
export function roundsOf(plan: ScenarioPlan, config: BenchConfig): number {
  return plan.throughput ? 1 : config.rounds;
}
