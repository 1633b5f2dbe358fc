import type { DiagLogger } from '@opentelemetry/api';

/**
 * Wraps a channel subscriber so it never throws: Node reports a throwing
 * subscriber as an uncaught exception, inside the client or server that
 * published (docs/observability.md).
 */
export function guarded<T>(diag: DiagLogger, fn: (message: T) => void): (message: T) => void {
  return (message) => {
    try {
      fn(message);
    } catch (error) {
      diag.error('subscriber failed', error);
    }
  };
}

/** The span status description for a failure: the error's message (the code is in `error.type`). */
export function errorMessage(error: unknown): { message?: string } {
  if (error instanceof Error) return { message: error.message };
  if (typeof error === 'string') return { message: error };
  return {};
}
