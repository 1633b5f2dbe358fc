import { RpcError, type Clock, type PeerAddress } from '@udprpc/core';
import type { CallContext } from './context.js';

/**
 * The per-call context. Its AbortController is made only if a handler asks
 * for `signal`: most handlers never do, and one controller per call is a
 * measurable share of a small call's cost.
 */
export class LazyCallContext implements CallContext {
  private controller: AbortController | undefined;
  private reason: RpcError | undefined;

  constructor(
    private readonly clock: Clock,
    readonly deadline: number,
    readonly peer: PeerAddress,
    readonly callId: string,
    readonly service: string,
    readonly method: string,
    readonly authenticatedAs: string | undefined,
  ) {}

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
