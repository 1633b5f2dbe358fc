import { channel, tracingChannel } from 'node:diagnostics_channel';
import { createHistogram } from 'node:perf_hooks';
import { debuglog } from 'node:util';
import { formatPeer, RpcError, type DropReason, type ErrorCode, type LatencyHistogram, type MetadataValue, type PeerAddress } from '@udprpc/core';

// The client's diagnostics channels and NODE_DEBUG=udprpc logging
// (docs/observability.md, CONVENTIONS §18). Every publisher checks
// `hasSubscribers` first, so a process where nobody listens builds no
// message objects.

/**
 * The context object of the `udprpc:client:call` tracing channel: one per
 * call, the same object in all its events.
 */
export interface ClientCallMessage {
  /** The contract's service name. */
  readonly service: string;
  /** The method's name within the service. */
  readonly method: string;
  /** The server the call goes to (a multi-endpoint client: the endpoint of its first attempt). */
  readonly peer: PeerAddress;
  /** Transmissions of the request so far, over all rounds, endpoints and interceptor retries; final by `asyncStart`. */
  attempts: number;
  /**
   * The call's request metadata: a plain object, a copy of the call's
   * `metadata` option (empty when it had none). Subscribers MAY add keys to
   * it during `start` (e.g. a W3C `traceparent`): the request metadata is
   * encoded after `start` is published, after the interceptors, so added
   * keys go on the wire (and are checked like the caller's: an invalid key
   * fails the call with INVALID_ARGUMENT). Only keys added during `start`
   * are sure to be sent.
   */
  readonly metadata: Record<string, MetadataValue>;
  /** `'OK'` or the error's code; set before `error` / `asyncStart`. */
  code?: ErrorCode | 'OK';
  /** The decoded result, on success. */
  result?: unknown;
  /** The RpcError the call rejected with, on failure. */
  error?: unknown;
}

/** Message of `udprpc:client:retransmit`. */
export interface ClientRetransmitMessage {
  /** The call's message id. */
  readonly id: number;
  /** The server the call goes to. */
  readonly peer: PeerAddress;
  /** Transmissions before this one (1 for the first retransmission), as in the client's `retry` event. */
  readonly attempt: number;
  /** The retransmission timeout that fired, ms. */
  readonly rtoMs: number;
}

/** Message of `udprpc:client:pushback`. */
export interface ClientPushbackMessage {
  /** The call's message id. */
  readonly id: number;
  /** The server that refused it. */
  readonly peer: PeerAddress;
  /** Transmissions so far. */
  readonly attempt: number;
  /** The pause the server asked for, ms. */
  readonly retryAfterMs: number;
}

/** Message of `udprpc:client:drop`. */
export interface ClientDropMessage {
  /** Why the datagram or frame was dropped. */
  readonly reason: DropReason;
  /** Where it came from. */
  readonly peer: PeerAddress;
}

export const clientCallChannel = tracingChannel<ClientCallMessage>('udprpc:client:call');
export const retransmitChannel = channel('udprpc:client:retransmit');
export const pushbackChannel = channel('udprpc:client:pushback');
export const clientDropChannel = channel('udprpc:client:drop');

const debug = debuglog('udprpc');

/** A histogram of latencies in µs (HdrHistogram, 3 significant figures). */
export const latencyHistogram = (): LatencyHistogram => createHistogram();

export function observeRetransmit(info: ClientRetransmitMessage): void {
  if (retransmitChannel.hasSubscribers) retransmitChannel.publish(info);
  if (debug.enabled) debug('client retransmit id=%d attempt=%d to %s rto=%dms', info.id, info.attempt, formatPeer(info.peer), info.rtoMs);
}

export function observePushback(info: ClientPushbackMessage): void {
  if (pushbackChannel.hasSubscribers) pushbackChannel.publish(info);
  if (debug.enabled) debug('client pushback id=%d from %s retry-after=%dms', info.id, formatPeer(info.peer), info.retryAfterMs);
}

export function observeDrop(reason: DropReason, peer: PeerAddress): void {
  if (clientDropChannel.hasSubscribers) clientDropChannel.publish({ reason, peer } satisfies ClientDropMessage);
  if (debug.enabled) debug('client drop %s from %s', reason, formatPeer(peer));
}

/** Logs a lifecycle step (NODE_DEBUG=udprpc). */
export function logLifecycle(what: string, peer?: PeerAddress): void {
  if (debug.enabled) debug('client %s%s', what, peer === undefined ? '' : ` ${formatPeer(peer)}`);
}

/**
 * Runs `run` as a traced call: `start` (with `run` inside the start
 * channel's bound stores, so an AsyncLocalStorage context set by a
 * subscriber covers the interceptors and the send), `end` once it has
 * returned its promise, then `error` (failures only), `asyncStart` and
 * `asyncEnd` when it settles. A synchronous throw is turned into a rejection
 * first, so every outcome takes the same path. Only called when
 * `clientCallChannel.hasSubscribers`.
 */
export function traceCall(message: ClientCallMessage, run: () => Promise<unknown>): Promise<unknown> {
  const ch = clientCallChannel;
  return ch.start.runStores(message, () => {
    let promise: Promise<unknown>;
    try {
      promise = run();
    } catch (error) {
      promise = Promise.reject(error);
    } finally {
      ch.end.publish(message);
    }
    return promise.then(
      (result: unknown) => {
        message.code = 'OK';
        message.result = result;
        ch.asyncStart.publish(message);
        ch.asyncEnd.publish(message);
        return result;
      },
      (error: unknown) => {
        message.code = RpcError.from(error).code;
        message.error = error;
        ch.error.publish(message);
        ch.asyncStart.publish(message);
        ch.asyncEnd.publish(message);
        throw error;
      },
    );
  });
}
