import { performance } from 'node:perf_hooks';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { RpcError, type Client, type ErrorCode } from 'udprpc';
import { LatencyHistogram } from './histogram.js';

/** Options of {@link runBench}. */
export interface BenchOptions {
  /** The client to call through (the caller closes it). */
  client: Client;
  /** Service name, e.g. `calc`. */
  service: string;
  /** Method name, e.g. `add`. */
  method: string;
  /** The argument of every call. */
  input: unknown;
  /** Callers, each with one call in flight at a time (a closed loop). */
  concurrency: number;
  /** How long to keep starting calls. */
  durationMs: number;
  /** Deadline of each call. */
  timeoutMs: number;
  /** Call the method as idempotent (it may then run more than once per call). */
  idempotent: boolean;
  /** Stops starting calls; the ones in flight still finish. */
  signal?: AbortSignal | undefined;
}

/** What a {@link runBench} run measured. */
export interface BenchResult {
  /** Latencies of the successful calls. */
  latency: LatencyHistogram;
  /** Failed calls by error code. */
  errors: Partial<Record<ErrorCode, number>>;
  /** Number of failed calls (the sum of `errors`). */
  errorCount: number;
  /** First message seen per error code, to show what went wrong. */
  errorSamples: Partial<Record<ErrorCode, string>>;
  /** From the first call until the last one finished. */
  elapsedMs: number;
}

/** A live view of a running benchmark, for the progress display. */
export interface BenchProgress {
  /** When the run started (`performance.now()`). */
  readonly startedAt: number;
  /** Calls that succeeded so far. */
  readonly ok: number;
  /** Calls that failed so far. */
  readonly failed: number;
}

/**
 * Runs `concurrency` callers in a closed loop until `durationMs` has passed
 * (or `signal` aborts), each starting its next call when the last one ends.
 * `onProgress` receives a live view to sample from a timer.
 */
export async function runBench(options: BenchOptions, onProgress?: (progress: BenchProgress) => void): Promise<BenchResult> {
  const latency = new LatencyHistogram();
  const errors: Partial<Record<ErrorCode, number>> = {};
  const errorSamples: Partial<Record<ErrorCode, string>> = {};
  const startedAt = performance.now();
  const endAt = startedAt + options.durationMs;
  const progress = { startedAt, ok: 0, failed: 0 };
  onProgress?.(progress);
  const callOptions = { timeoutMs: options.timeoutMs, idempotent: options.idempotent };

  const caller = async (): Promise<void> => {
    while (performance.now() < endAt && options.signal?.aborted !== true) {
      const t0 = performance.now();
      try {
        await options.client.call(options.service, options.method, options.input, callOptions);
        latency.record(performance.now() - t0);
        progress.ok++;
      } catch (e) {
        const error = RpcError.from(e, 'UNKNOWN');
        errors[error.code] = (errors[error.code] ?? 0) + 1;
        errorSamples[error.code] ??= error.message;
        progress.failed++;
        // A call that fails at once must not turn this loop into a microtask
        // spin that starves the socket and the timers.
        await yieldToEventLoop();
      }
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, caller));
  return { latency, errors, errorCount: progress.failed, errorSamples, elapsedMs: performance.now() - startedAt };
}
