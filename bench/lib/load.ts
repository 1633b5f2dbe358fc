// Closed-loop load generator: `inFlight` workers each run one call after
// another. A warm-up phase (not recorded) is followed by the measured window;
// calls that complete inside the window are counted, their latencies recorded
// and the process CPU time over the window taken.
import { LatencyRecorder, type LatencySummary } from './latency.js';

export interface LoadOptions {
  inFlight: number;
  warmupMs: number;
  /** Warm-up also lasts until this many calls completed. */
  warmupMinCalls: number;
  durationMs: number;
  /** The window also lasts until this many calls completed (e.g. 1 for very large messages). */
  minCalls: number;
  /** The window ends early after this many calls (null, 0 or Infinity: no limit; JSON turns Infinity into null). */
  maxCalls: number | null;
  /** Told when the measured window starts and ends (to mark the server's CPU). */
  onWindow?(edge: 'start' | 'end'): void;
}

export interface LoadResult {
  /** Calls that succeeded inside the window. */
  completed: number;
  /** Calls that failed inside the window (lost, timed out, wrong answer…). */
  failed: number;
  /** Failure messages and how often each happened. */
  errors: Record<string, number>;
  elapsedMs: number;
  cpuUserUs: number;
  cpuSystemUs: number;
  latency: LatencySummary;
}

export async function runLoad(call: (seq: number) => Promise<void>, o: LoadOptions): Promise<LoadResult> {
  const maxCalls = o.maxCalls != null && o.maxCalls > 0 ? o.maxCalls : Infinity;
  const latencies = new LatencyRecorder();
  const errors: Record<string, number> = {};
  let phase: 'warmup' | 'measure' | 'stop' = 'warmup';
  const startedAt = performance.now();
  let windowStart = 0;
  let windowEnd = 0;
  let warmupCalls = 0;
  let completed = 0;
  let failed = 0;
  let cpuStart = process.cpuUsage();
  let cpuEnd = cpuStart;
  let seq = 0;

  const advance = (): void => {
    const now = performance.now();
    if (phase === 'warmup' && now - startedAt >= o.warmupMs && warmupCalls >= o.warmupMinCalls) {
      phase = 'measure';
      o.onWindow?.('start');
      windowStart = performance.now();
      cpuStart = process.cpuUsage();
      measureTimer = setTimeout(advance, o.durationMs);
    } else if (phase === 'measure') {
      const done = completed + failed;
      if ((now - windowStart >= o.durationMs && done >= o.minCalls) || done >= maxCalls) {
        cpuEnd = process.cpuUsage(cpuStart);
        windowEnd = now;
        phase = 'stop';
        o.onWindow?.('end');
      }
    }
  };
  let measureTimer: NodeJS.Timeout | undefined;
  const warmupTimer = setTimeout(advance, o.warmupMs);

  const worker = async (): Promise<void> => {
    while (phase !== 'stop') {
      const t0 = performance.now();
      let error: unknown;
      try {
        await call(seq++);
      } catch (e) {
        error = e ?? new Error('failed');
      }
      const t1 = performance.now();
      if (phase === 'warmup') {
        warmupCalls++;
      } else if (phase === 'measure') {
        if (error === undefined) {
          completed++;
          latencies.record(t1 - t0);
        } else {
          failed++;
          const key = errorKey(error);
          errors[key] = (errors[key] ?? 0) + 1;
        }
      }
      advance();
    }
  };
  await Promise.all(Array.from({ length: o.inFlight }, worker));
  clearTimeout(warmupTimer);
  clearTimeout(measureTimer);
  return {
    completed,
    failed,
    errors,
    elapsedMs: windowEnd - windowStart,
    cpuUserUs: cpuEnd.user,
    cpuSystemUs: cpuEnd.system,
    latency: latencies.summary(),
  };
}

function errorKey(e: unknown): string {
  const code = (e as { code?: unknown }).code;
  const message = e instanceof Error ? e.message : String(e);
  return `${typeof code === 'string' ? `${code}: ` : ''}${message}`.slice(0, 100);
}
