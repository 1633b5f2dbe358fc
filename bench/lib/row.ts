// Runs one row (one implementation in one scenario): a fresh server process and
// a fresh client process, so that CPU and RSS belong to this row alone.
import { join } from 'node:path';
import type { ClientRunConfig } from '../client-process.js';
import type { ServerSpec } from '../server-process.js';
import type { BenchConfig } from './config.js';
import type { IpcMessage } from './ipc-child.js';
import type { LatencySummary } from './latency.js';
import type { LoadResult } from './load.js';
import { Child } from './proc.js';
import type { RowPlan, ScenarioPlan } from './scenarios.js';

export interface Usage {
  rssBytes: number;
  maxRssBytes: number;
  cpuUserUs: number;
  cpuSystemUs: number;
}

export interface RowResult {
  impl: string;
  label: string;
  status: 'ok' | 'error' | 'skipped (not installed)';
  error?: string;
  /** Measured window. */
  elapsedMs: number | null;
  completed: number;
  /** Calls that failed (lost, timed out) inside the window. */
  failed: number;
  failedPct: number | null;
  errors: Record<string, number>;
  callsPerSec: number | null;
  latency: LatencySummary | null;
  /** Client process CPU (user + system) over the window, per completed call. */
  clientCpuUsPerCall: number | null;
  serverCpuUsPerCall: number | null;
  clientRssBytes: number | null;
  clientMaxRssBytes: number | null;
  serverRssBytes: number | null;
  serverMaxRssBytes: number | null;
  /** RSS of each process before its first call (client: connected and holding its payload; server: listening). */
  clientIdleRssBytes: number | null;
  serverIdleRssBytes: number | null;
  /** Payload bytes moved (both directions) per second, in 10^6 bytes; large messages only. */
  mbPerSec: number | null;
  /** raw-blast: share of the blasted bytes that arrived. */
  deliveredPct: number | null;
  /** This row's value divided by the baseline row's (filled in by the report). */
  ratios: Record<string, number | null>;
  /** Interleaved rounds merged into this row (bench/lib/rounds.ts). */
  rounds?: number;
  /** Each round's ratio against that round's baseline, by ratio name. */
  roundRatios?: Record<string, Array<number | null>>;
  implStats: Record<string, unknown>;
  serverStats: Record<string, unknown>;
}

/** A generous upper bound on one row's duration; children exit by themselves after it. */
export function rowBudgetMs(plan: ScenarioPlan, config: BenchConfig): number {
  return config.warmupMs + config.durationMs + (plan.throughput ? 180_000 : 30_000);
}

export function emptyRow(row: RowPlan, status: RowResult['status'], error?: string): RowResult {
  return {
    impl: row.impl,
    label: row.label,
    status,
    ...(error === undefined ? {} : { error }),
    elapsedMs: null,
    completed: 0,
    failed: 0,
    failedPct: null,
    errors: {},
    callsPerSec: null,
    latency: null,
    clientCpuUsPerCall: null,
    serverCpuUsPerCall: null,
    clientRssBytes: null,
    clientMaxRssBytes: null,
    serverRssBytes: null,
    serverMaxRssBytes: null,
    clientIdleRssBytes: null,
    serverIdleRssBytes: null,
    mbPerSec: null,
    deliveredPct: null,
    ratios: {},
    implStats: {},
    serverStats: {},
  };
}

export async function runRow(plan: ScenarioPlan, row: RowPlan, config: BenchConfig): Promise<RowResult> {
  const budget = rowBudgetMs(plan, config);
  // With --cpu-prof, one directory per process: the tsx loader's worker thread writes a profile of its own (thread id ≠ 0).
  const nodeArgs = (role: string): string[] =>
    config.cpuProfDir === undefined
      ? config.nodeArgs
      : [...config.nodeArgs, '--cpu-prof', `--cpu-prof-dir=${join(config.cpuProfDir, `${plan.id}.${row.label.replace(/[^\w.-]+/g, '_')}.${role}`)}`];
  const spec: ServerSpec = {
    impl: row.impl,
    hardTimeoutMs: budget,
    ...(row.maxDatagramBytes === undefined ? {} : { maxDatagramBytes: row.maxDatagramBytes }),
    ...(row.coalesce === undefined ? {} : { coalesce: row.coalesce }),
    ...(row.schema === undefined ? {} : { schema: row.schema }),
    ...(config.blastRecvBufferBytes === undefined ? {} : { blastRecvBufferBytes: config.blastRecvBufferBytes }),
  };
  const server = new Child(`server(${row.label})`, 'server-process', [JSON.stringify(spec)], nodeArgs('server'));
  let client: Child | undefined;
  try {
    const { port, idleRssBytes: serverIdle } = await server.next<IpcMessage & { port: number; idleRssBytes?: number }>('ready', 30_000);
    client = new Child(`client(${row.label})`, 'client-process', [String(budget)], nodeArgs('client'));
    await client.next('ready', 30_000);
    const marks: Array<Promise<Usage>> = [];
    client.onMessage = () => marks.push(server.request<IpcMessage & { usage: Usage }>({ type: 'cpu' }, 'cpu', 10_000).then((r) => r.usage));
    const run: ClientRunConfig = {
      impl: row.impl,
      port,
      op: plan.op,
      payloadBytes: plan.payloadBytes,
      inFlight: plan.inFlight,
      lossRate: plan.lossRate,
      timeoutMs: plan.timeoutMs,
      baselineTimeoutMs: config.baselineTimeoutMs,
      load: plan.load,
      ...(row.maxDatagramBytes === undefined ? {} : { maxDatagramBytes: row.maxDatagramBytes }),
      ...(row.coalesce === undefined ? {} : { coalesce: row.coalesce }),
      ...(row.schema === undefined ? {} : { schema: row.schema }),
    };
    type ClientReply = IpcMessage & { load: LoadResult; usage: Usage; idleRssBytes?: number; implStats: Record<string, unknown>; deliveredBytes?: number };
    const result = await client.request<ClientReply>({ type: 'run', config: run }, 'result', budget);
    const [cpuStart, cpuEnd] = await Promise.all(marks);
    const srv = await server.request<IpcMessage & { usage: Usage; stats: Record<string, unknown> }>({ type: 'stats' }, 'stats', 10_000);
    const load = result.load;
    const secs = load.elapsedMs / 1000;
    const done = load.completed + load.failed;
    const perCall = (us: number): number | null => (load.completed > 0 ? us / load.completed : null);
    const nominalBytes = load.completed * 2 * plan.payloadBytes;
    const moved = result.deliveredBytes ?? nominalBytes;
    return {
      ...emptyRow(row, 'ok'),
      elapsedMs: load.elapsedMs,
      completed: load.completed,
      failed: load.failed,
      failedPct: done > 0 ? (100 * load.failed) / done : null,
      errors: load.errors,
      callsPerSec: secs > 0 ? load.completed / secs : null,
      latency: load.latency,
      clientCpuUsPerCall: perCall(load.cpuUserUs + load.cpuSystemUs),
      serverCpuUsPerCall:
        cpuStart === undefined || cpuEnd === undefined
          ? null
          : perCall(cpuEnd.cpuUserUs + cpuEnd.cpuSystemUs - cpuStart.cpuUserUs - cpuStart.cpuSystemUs),
      clientRssBytes: result.usage.rssBytes,
      clientMaxRssBytes: result.usage.maxRssBytes,
      serverRssBytes: srv.usage.rssBytes,
      serverMaxRssBytes: srv.usage.maxRssBytes,
      clientIdleRssBytes: result.idleRssBytes ?? null,
      serverIdleRssBytes: serverIdle ?? null,
      mbPerSec: plan.throughput && secs > 0 ? moved / secs / 1e6 : null,
      deliveredPct: result.deliveredBytes !== undefined && nominalBytes > 0 ? (100 * result.deliveredBytes) / nominalBytes : null,
      implStats: result.implStats,
      serverStats: srv.stats,
    };
  } catch (e) {
    return emptyRow(row, 'error', e instanceof Error ? e.message : String(e));
  } finally {
    await Promise.all([client?.close(), server.close()]);
  }
}
