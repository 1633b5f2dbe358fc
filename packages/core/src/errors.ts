import type { Metadata } from './wire/metadata.js';

/**
 * The closed set of status codes an RPC can fail with. The names and numbers
 * are gRPC's, so that anyone who knows gRPC knows what each one promises
 * (in particular which ones are safe to retry). The number is what travels on
 * the wire (docs/protocol.md §5.3).
 */
export const Code = {
  /** The caller cancelled the call, or the client closed. */
  CANCELLED: 1,
  /** An error with no better code (e.g. a handler threw something that is not an RpcError). */
  UNKNOWN: 2,
  /** The argument is wrong, whatever the state of the system. */
  INVALID_ARGUMENT: 3,
  /** The deadline passed before an answer came. */
  DEADLINE_EXCEEDED: 4,
  /** A requested entity (or the method) does not exist. */
  NOT_FOUND: 5,
  /** The entity to create exists already. */
  ALREADY_EXISTS: 6,
  /** The caller may not do this. */
  PERMISSION_DENIED: 7,
  /** Out of capacity: the server is overloaded, or a size or rate limit was hit. */
  RESOURCE_EXHAUSTED: 8,
  /** The system is not in a state that allows this. */
  FAILED_PRECONDITION: 9,
  /** Aborted, e.g. by a concurrency conflict; the server may answer a retransmission with it rather than risk a second run. */
  ABORTED: 10,
  /** A value is past the valid range. */
  OUT_OF_RANGE: 11,
  /** Not implemented or not supported. */
  UNIMPLEMENTED: 12,
  /** An invariant broke (a bug). */
  INTERNAL: 13,
  /** The server cannot be reached or is not serving now; often transient. */
  UNAVAILABLE: 14,
  /** Unrecoverable data loss or corruption. */
  DATA_LOSS: 15,
  /** The request lacks valid authentication. */
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
  /** The server refused the call before running it (flag REJECTED): it did not run. */
  refused?: boolean;
  /** Reply metadata the server sent with the error (protocol.md §5.8). */
  metadata?: Metadata;
}

/**
 * The one error type every udprpc call rejects with.
 *
 * `remote` tells whether the peer said it (a handler threw, the method is
 * unknown, the server is overloaded) or this process decided it (deadline,
 * abort, oversize payload, no reply).
 */
export class RpcError extends Error {
  /** Always `'RpcError'`. */
  override readonly name = 'RpcError';
  /** What went wrong, gRPC-aligned. */
  readonly code: ErrorCode;
  /** True when the peer said it; false when this process decided it. */
  readonly remote: boolean;
  /** Structured data the handler attached, decoded with the codec. */
  readonly details: unknown;
  /** The server's hint of when to try again (overload pushback). */
  readonly retryAfterMs: number | undefined;
  /**
   * True when the server refused the call because it cannot tell whether an
   * earlier copy already ran it (its record was lost: evicted, forgotten, or
   * a server restart; protocol.md §6.3). The outcome is unknown: the call may
   * or may not have run, once. With code ABORTED (a refusal) or UNAVAILABLE
   * (the server's port refused the retransmissions of a call sent before it died).
   */
  readonly mayHaveRun: boolean;
  /**
   * True when the server refused the call before running it and kept
   * nothing (flag REJECTED, protocol.md §3.2): the call did not run, and may
   * be sent again. With code UNAVAILABLE it is a draining server's "going
   * away" (§5.9): send it to another server; with RESOURCE_EXHAUSTED, an
   * overloaded one's pushback that outlasted the deadline (§8.1).
   */
  readonly refused: boolean;
  /**
   * Reply metadata the server sent with the error (protocol.md §5.8), or
   * undefined when it sent none (and for errors decided locally).
   */
  readonly metadata: Metadata | undefined;
  /** @internal Brand that makes {@link RpcError.is} work across duplicate copies of this package. */
  readonly [brand] = true;

  constructor(code: ErrorCode, message: string, options: RpcErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.remote = options.remote ?? false;
    this.details = options.details;
    this.retryAfterMs = options.retryAfterMs;
    this.mayHaveRun = options.mayHaveRun ?? false;
    this.refused = options.refused ?? false;
    this.metadata = options.metadata;
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
