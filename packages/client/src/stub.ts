import type { Contract, InputOf, Metadata, MetadataInit, OutputOf } from '@udprpc/core';

/** Per-call options. */
export interface CallOptions {
  /** Time budget for this call in ms; defaults to the client's `timeoutMs` (5000). */
  timeoutMs?: number;
  /** Aborting it rejects the call with CANCELLED and tells the server to stop. */
  signal?: AbortSignal;
  /**
   * Request metadata sent with the call (protocol.md §5.8): keys of 1 to 255
   * characters from `a-z 0-9 - _ .` (not starting with `udprpc-`), values
   * strings or bytes, at most the client's `maxMetadataBytes` (8 KiB)
   * encoded. An invalid key or value fails the call with INVALID_ARGUMENT, too
   * much metadata with RESOURCE_EXHAUSTED; nothing is sent then.
   */
  metadata?: MetadataInit;
  /**
   * Called with the reply metadata when the server's reply (result or error)
   * carries any, before the call's promise settles. A failed call's reply
   * metadata is also on the error (`RpcError.metadata`). If it throws, the
   * call rejects with that error (as an RpcError).
   */
  onReplyMetadata?: (metadata: Metadata) => void;
}

/** Arguments of a stub method: the input may be left out when it is `void`/`undefined`. */
export type StubArgs<I> = [I] extends [void] ? [input?: I, options?: CallOptions] : [input: I, options?: CallOptions];

/** One method on a typed stub. */
export interface StubMethod<I, O> {
  (...args: StubArgs<I>): Promise<O>;
  /**
   * Sends the input as a one-way notification: no reply, no retransmission,
   * delivered at most once (possibly never). Resolves once handed to the network.
   */
  notify(...args: [I] extends [void] ? [input?: I] : [input: I]): Promise<void>;
}

/** The typed client for a contract: one {@link StubMethod} per method. */
export type Stub<C extends Contract> = {
  // Homomorphic (no `& string`), so each method's JSDoc reaches the hover (test/contract-jsdoc.test.ts).
  readonly [K in keyof C['methods']]: StubMethod<InputOf<C['methods'][K]>, OutputOf<C['methods'][K]>>;
};
