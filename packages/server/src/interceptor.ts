import type { Metadata } from '@udprpc/core';
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
  /**
   * The request metadata (protocol.md §5.8), as `ctx.metadata`. An
   * interceptor may replace it (e.g. `Metadata.from({...})` without a
   * credential it consumed); the handler then sees the replacement as
   * `ctx.metadata`. Reply metadata is written with `req.ctx.setReplyMetadata`.
   */
  metadata: Metadata;
}

/** Runs the request further in and resolves with the handler's result. */
export type ServerNext = (req: ServerRequest) => Promise<unknown>;

/**
 * Server middleware in the onion style: it may inspect or change the request,
 * short-circuit (return a value or throw an RpcError), and observe results and
 * errors.
 */
export type ServerInterceptor = (next: ServerNext) => ServerNext;

/** Composes interceptors so that the first in the list is the outermost. */
export function composeServerInterceptors(interceptors: readonly ServerInterceptor[], last: ServerNext): ServerNext {
  let next = last;
  for (let i = interceptors.length - 1; i >= 0; i--) next = interceptors[i]!(next);
  return next;
}
