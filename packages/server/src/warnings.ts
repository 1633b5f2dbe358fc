import { formatPeer, type Clock, type PeerAddress } from '@udprpc/core';

/**
 * A handler failure an operator must see (CONVENTIONS §18): a handler threw
 * something other than an `RpcError`, or returned a value the codec cannot
 * encode. The peer only got INTERNAL; the original error is the `cause`.
 * Emitted as a process warning (type `UdprpcWarning`) when the server has no
 * `error` listener, at most {@link WarningOptions.maxPerInterval} per interval.
 */
export class HandlerFailureWarning extends Error {
  /** `'UdprpcWarning'`: the warning type Node prints and `process.on('warning')` listeners can filter on. */
  override readonly name = 'UdprpcWarning';
  /** The contract's service name. */
  readonly service: string;
  /** The method's name within the service. */
  readonly method: string;
  /** The caller. */
  readonly peer: PeerAddress;

  constructor(service: string, method: string, peer: PeerAddress, what: string, cause: unknown) {
    super(`${service}.${method} (called by ${formatPeer(peer)}) ${what}: ${describe(cause)}`, { cause });
    this.service = service;
    this.method = method;
    this.peer = peer;
  }
}

/** Where and how often handler failures are reported when nothing listens to `error`. */
export interface WarningOptions {
  /** Receives each warning. Default: `process.emitWarning` (printed on stderr by Node). */
  emit?: (warning: Error) => void;
  /** Warnings per interval at most; the rest are counted and summed up in the next one. 10. */
  maxPerInterval?: number;
  /** The interval, in ms of the server's clock. 60 000. */
  intervalMs?: number;
}

/** Defaults of {@link WarningOptions}. */
export const defaultWarningLimits = Object.freeze({
  /** Warnings per interval at most: 10. */
  maxPerInterval: 10,
  /** The interval, in ms of the server's clock: 60 000. */
  intervalMs: 60_000,
});

/**
 * At most `maxPerInterval` warnings per fixed interval: a handler failing on
 * every call must not flood the log (or cost more than the call). Suppressed
 * ones are counted and named in the next warning that goes out.
 */
export class RateLimitedWarnings {
  /** Warnings held back by the limit. */
  suppressed = 0;
  private readonly emit: (warning: Error) => void;
  private readonly maxPerInterval: number;
  private readonly intervalMs: number;
  private windowStart = -Infinity;
  private inWindow = 0;
  private unreported = 0;

  constructor(
    private readonly clock: Clock,
    options: WarningOptions = {},
  ) {
    this.emit = options.emit ?? ((warning) => process.emitWarning(warning));
    this.maxPerInterval = options.maxPerInterval ?? defaultWarningLimits.maxPerInterval;
    this.intervalMs = options.intervalMs ?? defaultWarningLimits.intervalMs;
  }

  /** Emits `make()` unless the limit is reached (then `make` is not even called). */
  warn(make: () => Error): void {
    const now = this.clock.now();
    if (now - this.windowStart >= this.intervalMs) {
      this.windowStart = now;
      this.inWindow = 0;
    }
    if (this.inWindow >= this.maxPerInterval) {
      this.suppressed++;
      this.unreported++;
      return;
    }
    this.inWindow++;
    const warning = make();
    if (this.unreported > 0) {
      warning.message += ` (${this.unreported} similar warning${this.unreported === 1 ? '' : 's'} suppressed before this one)`;
      this.unreported = 0;
    }
    try {
      this.emit(warning);
    } catch {
      // A logger that throws must not take the server down with it.
    }
  }
}

function describe(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}
