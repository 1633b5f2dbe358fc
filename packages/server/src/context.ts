import type { Contract, HandlerInputOf, HandlerOutputOf, Metadata, MetadataValue, PeerAddress } from '@udprpc/core';

/** What a handler knows about the call it serves. */
export interface CallContext {
  /** Aborted when the caller's deadline passes or the caller cancels. */
  readonly signal: AbortSignal;
  /** Absolute deadline on the server's clock (ms); compare with {@link CallContext.remainingMs}. */
  readonly deadline: number;
  /** Milliseconds left until the deadline (negative once passed). */
  remainingMs(): number;
  /** Where the request came from. */
  readonly peer: PeerAddress;
  /** Unique name of this call on this server (peer, client session and message id). */
  readonly callId: string;
  /** The service name of the method called. */
  readonly service: string;
  /** The method name within the service. */
  readonly method: string;
  /**
   * The identity (key id) an authenticating transport verified this request
   * under, or undefined for an unauthenticated request.
   */
  readonly authenticatedAs: string | undefined;
  /**
   * The request metadata (protocol.md §5.8), read-only: `ctx.metadata.get('key')`,
   * or iterate it for `[key, value]` pairs. Empty when the call carried none.
   */
  readonly metadata: Metadata;
  /**
   * Sets a reply metadata entry, sent with the reply whether it is a result
   * or an error (and again with every copy of the reply the server resends
   * for a duplicate request). Setting a key again replaces its value.
   * Throws a TypeError for an invalid key (1 to 255 characters of
   * `a-z 0-9 - _ .`, not starting with `udprpc-`) or a value that is neither
   * a string nor a Uint8Array. If the reply metadata comes to more than the
   * server's `maxMetadataBytes` (8 KiB), the caller gets RESOURCE_EXHAUSTED
   * instead of the reply. Entries set after the handler has answered are not sent.
   */
  setReplyMetadata(key: string, value: MetadataValue): void;
}

/** A handler for one method: sync or async. */
export type Handler<I, O> = (input: I, ctx: CallContext) => O | Promise<O>;

/**
 * Handlers for every method of a contract, with types taken from it. With
 * schemas, a handler gets the input schema's output (validated, transformed)
 * and returns what the output schema accepts.
 */
export type Handlers<C extends Contract> = {
  // Homomorphic (no `& string`), so each method's JSDoc reaches the hover (test/contract-jsdoc.test.ts).
  readonly [K in keyof C['methods']]: Handler<HandlerInputOf<C['methods'][K]>, HandlerOutputOf<C['methods'][K]>>;
};
