import type { DiagLogger, Histogram, Tracer } from '@opentelemetry/api';

/** What the channel observers record into, provided by the instrumentation (its current tracer and meter). */
export interface Telemetry {
  readonly tracer: Tracer;
  readonly clientDuration: Histogram;
  readonly serverDuration: Histogram;
  readonly diag: DiagLogger;
}
