import type { MetadataInit, PeerAddress } from '@udprpc/core';

/** A call as client interceptors see it. */
export interface ClientRequest {
  /** Service name, e.g. `'calc'`. */
  readonly service: string;
  /** Method name within the service, e.g. `'add'`. */
  readonly method: string;
  /** The argument, before encoding. Interceptors may replace it. */
  input: unknown;
  /** Absolute deadline on the client's clock (ms). */
  deadline: number;
  /** The caller's abort signal, if any. */
  readonly signal: AbortSignal | undefined;
  /** The server this attempt goes to. */
  readonly peer: PeerAddress;
  /** Whether the method was declared idempotent. */
  readonly idempotent: boolean;
  /**
   * The request metadata to send (the call's `metadata` option), or
   * undefined for none. Interceptors may replace it, e.g.
   * `req.metadata = { ...req.metadata, authorization: token }`; it is
   * encoded (and checked) when the request is sent, after every interceptor.
   */
  metadata: MetadataInit | undefined;
}

/** Sends a request and resolves with the decoded result. */
export type ClientNext = (req: ClientRequest) => Promise<unknown>;

/**
 * Client middleware in the onion style: given the next step, return a new
 * step. It may inspect or change the request, short-circuit with a value or an
 * RpcError, and observe the result or error.
 *
 * @example
 * const log: ClientInterceptor = (next) => async (req) => {
 *   const t = performance.now();
 *   try { return await next(req); }
 *   finally { console.log(req.service, req.method, performance.now() - t); }
 * };
 */
export type ClientInterceptor = (next: ClientNext) => ClientNext;

/** Composes interceptors so that the first in the list is the outermost. */
export function composeClientInterceptors(interceptors: readonly ClientInterceptor[], last: ClientNext): ClientNext {
  let next = last;
  for (let i = interceptors.length - 1; i >= 0; i--) next = interceptors[i]!(next);
  return next;
}
