import { compose } from '@udprpc/core/engine';
import type { CallContext } from './context.js';

/** A call as server interceptors see it. */
export interface ServerRequest {
  /** Service name, e.g. `calc`. */
  readonly service: string;
  /** Method name within the service. */
  readonly method: string;
  /** The decoded argument. Interceptors may replace it. */
  input: unknown;
  /** The call's context, as the handler sees it. */
  readonly ctx: CallContext;
}

/** Runs the request further in and resolves with the handler's result. */
export type ServerNext = (req: ServerRequest) => Promise<unknown>;

/**
 * Server middleware in the onion style: it may inspect or change the request,
 * short-circuit (return a value or throw an RpcError), and observe results and
 * errors.
 */
export type ServerInterceptor = (next: ServerNext) => ServerNext;

/**
 * Composes interceptors so that the first in the list is the outermost: core's
 * `compose`, the same as the client's (an interceptor that throws yields a rejection).
 */
export function composeServerInterceptors(interceptors: readonly ServerInterceptor[], last: ServerNext): ServerNext {
  return compose(interceptors, last);
}
