import type { Contract, InputOf, OutputOf, PeerAddress, RpcError } from '@udprpc/core';

/** One server's answer to a group call. */
export type GroupReply<O> =
  | {
      /** The server that answered. */
      readonly peer: PeerAddress;
      /** It returned a result. */
      readonly ok: true;
      /** The result. */
      readonly result: O;
    }
  | {
      /** The server that answered. */
      readonly peer: PeerAddress;
      /** It failed the call. */
      readonly ok: false;
      /** Its error. */
      readonly error: RpcError;
    };

/** Options of a group call. */
export interface GroupCallOptions {
  /** How long to collect replies, in ms (default 1000). The call ends then. */
  collectMs?: number;
  /** Stop after this many replies (default 256). */
  maxReplies?: number;
  /** Aborting it ends the collection early. */
  signal?: AbortSignal;
}

/** One method on a group stub: yields each server's reply as it arrives. */
export type GroupMethod<I, O> = (
  ...args: [I] extends [void] ? [input?: I, options?: GroupCallOptions] : [input: I, options?: GroupCallOptions]
) => AsyncIterable<GroupReply<O>>;

/** The typed group client for a contract. */
export type GroupStub<C extends Contract> = {
  // Homomorphic (no `& string`), so each method's JSDoc reaches the hover (test/contract-jsdoc.test.ts).
  readonly [K in keyof C['methods']]: GroupMethod<InputOf<C['methods'][K]>, OutputOf<C['methods'][K]>>;
};

/**
 * A push-to-pull bridge: the engine pushes replies, the caller pulls them
 * with `for await`. Bounded by the call's `maxReplies`.
 */
export class ReplyStream<T> implements AsyncIterable<T> {
  private readonly items: T[] = [];
  private waiting: ((r: IteratorResult<T>) => void) | undefined;
  private ended = false;
  private failure: unknown;

  push(item: T): void {
    if (this.ended) return;
    if (this.waiting !== undefined) {
      const resolve = this.waiting;
      this.waiting = undefined;
      resolve({ value: item, done: false });
    } else {
      this.items.push(item);
    }
  }

  end(failure?: unknown): void {
    if (this.ended) return;
    this.ended = true;
    this.failure = failure;
    if (this.waiting !== undefined && this.items.length === 0) {
      const resolve = this.waiting;
      this.waiting = undefined;
      if (failure === undefined) resolve({ value: undefined, done: true });
      else resolve(Promise.reject(failure) as never);
    }
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return {
      next: () => {
        const item = this.items.shift();
        if (item !== undefined) return Promise.resolve({ value: item, done: false });
        if (this.ended) return this.failure === undefined ? Promise.resolve({ value: undefined, done: true }) : Promise.reject(this.failure);
        return new Promise((resolve) => {
          this.waiting = resolve;
        });
      },
      return: () => {
        this.end();
        this.onReturn?.();
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }

  /** Called when the consumer stops iterating early. */
  onReturn: (() => void) | undefined;
}
