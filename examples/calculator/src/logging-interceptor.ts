/**
 * Logging interceptors for both sides. Each is an onion layer
 * `(next) => async (req) => ...`: it times the rest of the chain and records
 * the method, the duration and the outcome code (`OK` or the RpcError code).
 */
import { formatPeer, RpcError, type ClientInterceptor, type ErrorCode, type ServerInterceptor } from 'udprpc';

/** One logged call. */
export interface CallLogEntry {
  readonly side: 'client' | 'server';
  /** `service.method`. */
  readonly method: string;
  readonly code: 'OK' | ErrorCode;
  readonly durationMs: number;
  /** The other end: the server for a client, the caller for a server. */
  readonly peer: string;
}

/** Where entries go. */
export type CallLogSink = (entry: CallLogEntry) => void;

/**
 * `calc.div INVALID_ARGUMENT 0.21 ms ← 127.0.0.1:51234` on a server (from the
 * caller), `calc.add OK 0.40 ms → 127.0.0.1:4000` on a client (to the server).
 */
export function formatEntry(e: CallLogEntry): string {
  return `${e.method} ${e.code} ${e.durationMs.toFixed(2)} ms ${arrow(e)} ${e.peer}`;
}

function arrow(e: CallLogEntry): string {
  return e.side === 'client' ? '→' : '←';
}

const toStderr: CallLogSink = (entry) => console.error(formatEntry(entry));

/** Runs `call`, then tells `sink` how it ended and how long it took. */
async function timed<T>(side: CallLogEntry['side'], method: string, peer: string, sink: CallLogSink, call: () => Promise<T>): Promise<T> {
  const start = performance.now();
  let code: CallLogEntry['code'] = 'OK';
  try {
    return await call();
  } catch (error) {
    code = RpcError.from(error).code;
    throw error;
  } finally {
    sink({ side, method, code, durationMs: performance.now() - start, peer });
  }
}

/** Logs every call this client makes. Put it first to time the whole chain. */
export function clientLogging(sink: CallLogSink = toStderr): ClientInterceptor {
  return (next) => (req) => timed('client', `${req.service}.${req.method}`, formatPeer(req.peer), sink, () => next(req));
}

/** Logs every call this server handles (notifications included). */
export function serverLogging(sink: CallLogSink = toStderr): ServerInterceptor {
  return (next) => (req) => timed('server', `${req.service}.${req.method}`, formatPeer(req.ctx.peer), sink, () => next(req));
}

/** A sink that also folds runs of identical calls. */
export interface FoldingSink extends CallLogSink {
  /** Writes the pending "×N more" line, if any. Call it before exiting. */
  flush(): void;
}

/**
 * A sink that writes each entry as a line, but folds a run of calls with the
 * same side, method, code and peer into its first line plus one summary line,
 * so a loop of 200 calls costs two lines instead of 200.
 */
export function foldingSink(writeLine: (line: string) => void): FoldingSink {
  let runKey: string | undefined;
  let repeats = 0;
  let maxMs = 0;
  const flush = (): void => {
    if (repeats > 0) writeLine(`${runKey} ×${repeats} more (slowest ${maxMs.toFixed(2)} ms)`);
    repeats = 0;
    maxMs = 0;
  };
  const sink = (entry: CallLogEntry): void => {
    const key = `${entry.method} ${entry.code} ${arrow(entry)} ${entry.peer}`;
    if (key === runKey) {
      repeats++;
      maxMs = Math.max(maxMs, entry.durationMs);
      return;
    }
    flush();
    runKey = key;
    writeLine(formatEntry(entry));
  };
  return Object.assign(sink, { flush });
}
