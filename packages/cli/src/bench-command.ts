import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { createClient, type ErrorCode } from 'udprpc';
import {
  checkPositionals,
  parseDurationMs,
  parseIntOption,
  parseMethodPath,
  parseOrUsage,
  parseTarget,
  readJsonInput,
} from './args.js';
import { runBench, type BenchProgress, type BenchResult } from './bench-runner.js';
import { MAX_TIMEOUT_MS } from './call-command.js';
import { ExitCode } from './exit-codes.js';
import { commandHelpText } from './help.js';
import { formatHistogram, formatMs, type HistogramRow } from './histogram.js';
import { formatJson } from './json-output.js';
import type { CliIo } from './io.js';
import { renderProgress, startProgress } from './progress-bar.js';

/** The percentiles `bench` reports. */
export const BENCH_PERCENTILES = [50, 90, 99, 99.9] as const;

/** `udprpc bench <url> <service.method> [json|-]`: closed-loop load and a latency report. Returns the exit code. */
export async function benchCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseOrUsage('bench', () =>
    parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        concurrency: { type: 'string', default: '64' },
        duration: { type: 'string', default: '10s' },
        timeout: { type: 'string', default: '5000' },
        idempotent: { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }),
  );
  if (values.help) {
    io.stdout(commandHelpText('bench'));
    return ExitCode.OK;
  }
  checkPositionals('bench', positionals, 3);
  const url = parseTarget('bench', positionals[0]);
  const { service, method } = parseMethodPath('bench', positionals[1]);
  const concurrency = parseIntOption('bench', '--concurrency', values.concurrency, 1, 4096);
  const durationMs = parseDurationMs('bench', '--duration', values.duration, 1, 3_600_000);
  const timeoutMs = parseIntOption('bench', '--timeout', values.timeout, 1, MAX_TIMEOUT_MS);
  const input = await readJsonInput('bench', positionals[2], io);

  io.stderr(`bench ${url} ${service}.${method}: ${concurrency} callers for ${formatDuration(durationMs)}\n`);
  const client = createClient({ url, timeoutMs });
  let live: BenchProgress | undefined;
  const progress = startProgress({ write: (t) => io.stderr(t), interactive: io.stderrIsTTY === true }, () => {
    const elapsed = live === undefined ? 0 : performance.now() - live.startedAt;
    return renderProgress(elapsed / durationMs, Math.min(elapsed, durationMs), durationMs, live?.ok ?? 0, live?.failed ?? 0);
  });
  let result: BenchResult;
  try {
    result = await runBench(
      { client, service, method, input, concurrency, durationMs, timeoutMs, idempotent: values.idempotent, signal: io.signal },
      (p) => (live = p),
    );
  } finally {
    progress.stop();
    await client.close();
  }
  io.stdout(
    values.json ? formatJson(benchReportJson(url, `${service}.${method}`, concurrency, durationMs, result)) : formatBenchReport(`${service}.${method}`, concurrency, result),
  );
  return result.latency.count > 0 ? ExitCode.OK : ExitCode.FAILURE;
}

/** The report: throughput, percentiles, histogram and errors by code. */
export function formatBenchReport(methodPath: string, concurrency: number, r: BenchResult): string {
  const total = r.latency.count + r.errorCount;
  const seconds = r.elapsedMs / 1000;
  const rate = seconds > 0 ? total / seconds : 0;
  const out: string[] = [
    `${methodPath}: ${total} calls in ${seconds.toFixed(2)} s with ${concurrency} callers — ${rate.toFixed(1)} calls/s`,
    `  ${r.latency.count} ok, ${r.errorCount} failed`,
    '',
  ];
  if (r.latency.count > 0) {
    const rows: Array<[string, number]> = [
      ['min', r.latency.minMs],
      ['mean', r.latency.meanMs],
      ...BENCH_PERCENTILES.map((p): [string, number] => [`p${p}`, r.latency.percentile(p)]),
      ['max', r.latency.maxMs],
    ];
    out.push('latency of successful calls (ms):');
    for (const [name, ms] of rows) out.push(`  ${name.padEnd(6)} ${formatMs(ms).padStart(9)}`);
    out.push('', 'latency histogram:', formatHistogram(r.latency.rows()).trimEnd(), '');
  }
  const codes = Object.keys(r.errors) as ErrorCode[];
  if (codes.length > 0) {
    const width = Math.max(...codes.map((c) => c.length));
    out.push('errors by code:');
    for (const code of codes.sort((a, b) => (r.errors[b] ?? 0) - (r.errors[a] ?? 0))) {
      out.push(`  ${code.padEnd(width)}  ${String(r.errors[code] ?? 0).padStart(8)}  (${r.errorSamples[code] ?? ''})`);
    }
    out.push('');
  }
  return `${out.join('\n')}\n`.replace(/\n\n$/, '\n');
}

/** The machine-readable report of `bench --json`; times in ms. */
export interface BenchReportJson {
  /** The server, `udp://host:port`. */
  url: string;
  /** `service.method`. */
  method: string;
  /** Callers, each with one call in flight. */
  concurrency: number;
  /** The requested duration. */
  durationMs: number;
  /** From the first call until the last one finished. */
  elapsedMs: number;
  /** Calls made (`ok + failed`). */
  calls: number;
  /** Calls that succeeded. */
  ok: number;
  /** Calls that failed. */
  failed: number;
  /** `calls / elapsed seconds`. */
  callsPerSecond: number;
  /** Of the successful calls; null when none succeeded. */
  latencyMs: {
    /** Shortest. */
    min: number;
    /** Mean. */
    mean: number;
    /** Median. */
    p50: number;
    /** 90th percentile. */
    p90: number;
    /** 99th percentile. */
    p99: number;
    /** 99.9th percentile. */
    'p99.9': number;
    /** Longest. */
    max: number;
  } | null;
  /** Latencies of the successful calls in log-spaced rows. */
  histogram: HistogramRow[];
  /** Failed calls by error code, with the first message seen. */
  errors: Partial<
    Record<
      ErrorCode,
      {
        /** Calls that failed with this code. */
        count: number;
        /** The first message seen with it. */
        sample: string;
      }
    >
  >;
}

/** What `bench --json` prints: the figures of the text report, as one JSON object. */
export function benchReportJson(url: string, methodPath: string, concurrency: number, durationMs: number, r: BenchResult): BenchReportJson {
  const calls = r.latency.count + r.errorCount;
  const l = r.latency;
  const errors: BenchReportJson['errors'] = {};
  for (const code of Object.keys(r.errors) as ErrorCode[]) errors[code] = { count: r.errors[code] ?? 0, sample: r.errorSamples[code] ?? '' };
  return {
    url,
    method: methodPath,
    concurrency,
    durationMs,
    elapsedMs: r.elapsedMs,
    calls,
    ok: l.count,
    failed: r.errorCount,
    callsPerSecond: r.elapsedMs > 0 ? calls / (r.elapsedMs / 1000) : 0,
    latencyMs:
      l.count === 0
        ? null
        : { min: l.minMs, mean: l.meanMs, p50: l.percentile(50), p90: l.percentile(90), p99: l.percentile(99), 'p99.9': l.percentile(99.9), max: l.maxMs },
    histogram: l.rows(),
    errors,
  };
}

function formatDuration(ms: number): string {
  return ms < 1000 ? `${ms}ms` : `${(ms / 1000).toFixed(ms % 1000 === 0 ? 0 : 1)}s`;
}
