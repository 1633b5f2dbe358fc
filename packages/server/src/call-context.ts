import { RpcError, type Clock, type PeerAddress } from '@udprpc/core';
import { peerKey } from '@udprpc/core/engine';
import type { CallContext } from './context.js';

/**
 * The per-call context. Its AbortController is made only if a handler asks
 * for `signal`: most handlers never do, and one controller per call is a
 * measurable share of a small call's cost. `callId` is built on first read
 * for the same reason.
 */
export class LazyCallContext implements CallContext {
  // Declared without initialisers and assigned once in the constructor: with
  // native class fields, parameter properties would define, then assign.
  declare private readonly clock: Clock;
  declare readonly deadline: number;
  declare readonly peer: PeerAddress;
  /** The client session and message id that, with the peer, make up {@link callId}. */
  declare private readonly session: number;
  declare private readonly messageId: number;
  declare readonly service: string;
  declare readonly method: string;
  declare readonly authenticatedAs: string | undefined;
  declare private controller: AbortController | undefined;
  declare private reason: RpcError | undefined;
  declare private id: string | undefined;

  constructor(
    clock: Clock,
    deadline: number,
    peer: PeerAddress,
    session: number,
    messageId: number,
    service: string,
    method: string,
    authenticatedAs: string | undefined,
  ) {
    this.clock = clock;
    this.deadline = deadline;
    this.peer = peer;
    this.session = session;
    this.messageId = messageId;
    this.service = service;
    this.method = method;
    this.authenticatedAs = authenticatedAs;
    this.controller = undefined;
    this.reason = undefined;
    this.id = undefined;
  }

  get callId(): string {
    return (this.id ??= `${peerKey(this.peer)}|${this.session}|${this.messageId}`);
  }

  get signal(): AbortSignal {
    if (this.controller === undefined) {
      this.controller = new AbortController();
      if (this.reason !== undefined) this.controller.abort(this.reason);
    }
    return this.controller.signal;
  }

  get aborted(): boolean {
    return this.reason !== undefined;
  }

  /** Why the call was aborted, once it was. */
  get abortReason(): RpcError | undefined {
    return this.reason;
  }

  remainingMs(): number {
    return this.deadline - this.clock.now();
  }

  /** Aborts the handler's signal (once). */
  abort(reason: RpcError): void {
    if (this.reason !== undefined) return;
    this.reason = reason;
    this.controller?.abort(reason);
  }
}

/** The abort reasons handlers see. */
export const abortReasons = {
  deadline: () => new RpcError('DEADLINE_EXCEEDED', 'the caller’s deadline passed'),
  cancelled: () => new RpcError('CANCELLED', 'the caller cancelled the call'),
  closing: () => new RpcError('CANCELLED', 'the server is closing'),
};
