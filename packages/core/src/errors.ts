/**
 * The closed set of status codes an RPC can fail with. The names and numbers
 * are gRPC's, so that anyone who knows gRPC knows what each one promises
 * (in particular which ones are safe to retry). The number is what travels on
 * the wire (docs/protocol.md §5.3).
 */
export const Code = {
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
} as const;

/** One of the status code names, e.g. `'DEADLINE_EXCEEDED'`. */
export type ErrorCode = keyof typeof Code;

const codeByNumber = new Map<number, ErrorCode>(
  (Object.keys(Code) as ErrorCode[]).map((name) => [Code[name], name]),
);

/** Maps a wire number to its code name; unknown numbers become `'UNKNOWN'`. */
export function codeFromNumber(n: number): ErrorCode {
  return codeByNumber.get(n) ?? 'UNKNOWN';
}

/**
 * The wire number of a code name. A name outside the table (a JavaScript
 * caller can construct an RpcError with any string) is sent as UNKNOWN:
 * senders must never put 0 on the wire (protocol.md §5.3).
 */
export function codeToNumber(name: string): number {
  return isErrorCode(name) ? Code[name] : Code.UNKNOWN;
}

/** Whether `value` names one of the status codes. */
export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(Code, value);
}

// A registry-wide brand, so `RpcError.is` works even when two copies of this
// package end up in one process (undici does the same for its errors).
const brand = Symbol.for('udprpc.RpcError');

/** Options accepted by the {@link RpcError} constructor. */
export interface RpcErrorOptions {
  /** True when the peer reported this error; false when we decided it locally. */
  remote?: boolean;
  /** Structured, codec-encodable data sent along with the error. */
  details?: unknown;
  /** The underlying error, never sent over the wire. */
  cause?: unknown;
  /** Server pushback: the peer asks not to be called again before this many ms. */
  retryAfterMs?: number;
  /** The call's outcome is unknown: it was not run by the copy that failed, but an earlier copy may have run it. */
  mayHaveRun?: boolean;
}

/**
 * The one error type every udprpc call rejects with.
 *
 * `remote` tells whether the peer said it (a handler threw, the method is
 * unknown, the server is overloaded) or this process decided it (deadline,
 * abort, oversize payload, no reply).
 */
export class RpcError extends Error {
  override readonly name = 'RpcError';
  readonly code: ErrorCode;
  readonly remote: boolean;
  readonly details: unknown;
  readonly retryAfterMs: number | undefined;
  /**
   * True when the server refused the call because it cannot tell whether an
   * earlier copy already ran it (its record was lost: evicted, forgotten, or
   * a server restart; protocol.md §6.3). The outcome is unknown: the call may
   * or may not have run, once. Always with code ABORTED.
   */
  readonly mayHaveRun: boolean;
  readonly [brand] = true;

  constructor(code: ErrorCode, message: string, options: RpcErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.remote = options.remote ?? false;
    this.details = options.details;
    this.retryAfterMs = options.retryAfterMs;
    this.mayHaveRun = options.mayHaveRun ?? false;
  }

  /** True for any RpcError, including one made by another copy of this package. */
  static is(value: unknown): value is RpcError {
    return typeof value === 'object' && value !== null && (value as { [brand]?: unknown })[brand] === true;
  }

  /**
   * Turns anything thrown into an RpcError: RpcErrors pass through, an
   * AbortError becomes CANCELLED, anything else becomes `fallback` (INTERNAL
   * by default) with the original kept as `cause`.
   */
  static from(value: unknown, fallback: ErrorCode = 'INTERNAL'): RpcError {
    if (RpcError.is(value)) return value;
    if (value instanceof Error && value.name === 'AbortError') {
      return new RpcError('CANCELLED', value.message || 'operation was aborted', { cause: value });
    }
    if (value instanceof Error && value.name === 'TimeoutError') {
      return new RpcError('DEADLINE_EXCEEDED', value.message || 'operation timed out', { cause: value });
    }
    const message = value instanceof Error ? value.message : describe(value);
    return new RpcError(fallback, message, { cause: value });
  }
}

// String() throws for objects without a prototype or with a hostile toString.
function describe(value: unknown): string {
  try {
    return String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}
