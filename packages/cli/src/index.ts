/**
 * @udprpc/cli — the `udprpc` command: `call`, `describe`, `ping` and `bench`
 * against a udprpc server. The command logic is importable: {@link run} takes
 * argv and output writers and resolves with the exit code, without touching
 * the process.
 *
 * @packageDocumentation
 * @module @udprpc/cli
 */
export { run } from './run.js';
export type { CliIo } from './io.js';
export { ExitCode, RPC_EXIT_BASE, exitCodeForRpcError } from './exit-codes.js';
export { HealthExitCode } from './health-command.js';
export { LatencyHistogram, formatHistogram, type HistogramRow } from './histogram.js';
export { ping, summarizeRtts, type PingOptions, type PingResult, type RttSummary } from './pinger.js';
export { runBench, type BenchOptions, type BenchResult, type BenchProgress } from './bench-runner.js';
export { parseDurationMs } from './args.js';
export { benchReportJson, type BenchReportJson } from './bench-command.js';
