import { channel, tracingChannel } from 'node:diagnostics_channel';
import { createHistogram } from 'node:perf_hooks';
import { debuglog } from 'node:util';
import { formatPeer, type DropReason, type ErrorCode, type LatencyHistogram, type Metadata, type PeerAddress } from '@udprpc/core';

// The server's diagnostics channels and NODE_DEBUG=udprpc logging
// (docs/observability.md, CONVENTIONS §18). Every publisher checks
// `hasSubscribers` first, so a process where nobody listens builds no
// message objects.

/**
 * The context object of the `udprpc:server:call` tracing channel: one per
 * call handed to the server, the same object in all its events.
 */
export interface ServerCallMessage {
  /** The service named by the request (for an unknown method: the name up to its last dot). */
  readonly service: string;
  /** The method named by the request (for an unknown method: the name after its last dot). */
  readonly method: string;
  /** The caller. */
  readonly peer: PeerAddress;
  /**
   * The request metadata (protocol.md §5.8), read-only (`metadata.get(key)`,
   * iterable); empty when the call carried none. A tracer reads e.g. the
   * caller's `traceparent` here in `start`.
   */
  readonly metadata: Metadata;
  /** `'OK'` or the code of the error the caller gets; set before `error` / `asyncStart`. */
  code?: ErrorCode | 'OK';
  /**
   * On failure, what the handler threw or rejected with (an `RpcError`, or
   * anything else for INTERNAL), or the `RpcError` the server answered
   * without running a handler (unknown method, undecodable argument, ...).
   */
  error?: unknown;
}

/** Message of `udprpc:server:drop`. */
export interface ServerDropMessage {
  /** Why the datagram or frame was dropped. */
  readonly reason: DropReason;
  /** Where it came from. */
  readonly peer: PeerAddress;
}

export const serverCallChannel = tracingChannel<ServerCallMessage>('udprpc:server:call');
export const serverDropChannel = channel('udprpc:server:drop');

const debug = debuglog('udprpc');

/** A histogram of latencies in µs (HdrHistogram, 3 significant figures). */
export const latencyHistogram = (): LatencyHistogram => createHistogram();

export function observeDrop(reason: DropReason, peer: PeerAddress): void {
  if (serverDropChannel.hasSubscribers) serverDropChannel.publish({ reason, peer } satisfies ServerDropMessage);
  if (debug.enabled) debug('server drop %s from %s', reason, formatPeer(peer));
}

/** Logs a lifecycle step (NODE_DEBUG=udprpc). */
export function logLifecycle(what: string, peer?: PeerAddress): void {
  if (debug.enabled) debug('server %s%s', what, peer === undefined ? '' : ` ${formatPeer(peer)}`);
}

/** The message of a call to `path` (`service.method`) from `peer`. */
export function serverCallMessage(path: string, peer: PeerAddress, metadata: Metadata): ServerCallMessage {
  const dot = path.lastIndexOf('.');
  return dot < 0 ? { service: path, method: '', peer, metadata } : { service: path.slice(0, dot), method: path.slice(dot + 1), peer, metadata };
}

/**
 * Publishes a server's traced calls (only used when
 * `serverCallChannel.hasSubscribers`). A call answered within its own
 * dispatch (a handler returning a value) has its outcome held back until
 * its `end` is out, so every call publishes in the same order and `end`
 * never shows an outcome.
 */
export class ServerCallTracer {
  /** The traced call whose dispatch is on the stack. */
  private dispatching: ServerCallMessage | undefined;
  /** Its outcome, once answered, until its `end` is published. */
  private heldCode: ErrorCode | 'OK' | undefined;
  private heldError: unknown;

  /** Publishes `start`, runs `run` inside the start channel's stores, publishes `end`, then any held outcome. */
  dispatch(message: ServerCallMessage, run: (message: ServerCallMessage) => void): void {
    const ch = serverCallChannel;
    const outer = this.dispatching;
    this.dispatching = message;
    ch.start.runStores(message, () => {
      try {
        run(message);
      } finally {
        this.dispatching = outer;
        ch.end.publish(message);
      }
    });
    const code = this.heldCode;
    if (code === undefined) return;
    const error = this.heldError;
    this.heldCode = this.heldError = undefined;
    this.publish(message, code, error);
  }

  /** The call's outcome: `error` is what failed it (undefined on success). */
  outcome(message: ServerCallMessage, code: ErrorCode | 'OK', error: unknown): void {
    if (message === this.dispatching) {
      this.heldCode = code;
      this.heldError = error;
    } else {
      this.publish(message, code, error);
    }
  }

  /** `error` (failures only), `asyncStart`, `asyncEnd`. */
  private publish(message: ServerCallMessage, code: ErrorCode | 'OK', error: unknown): void {
    const ch = serverCallChannel;
    message.code = code;
    if (error !== undefined) message.error = error;
    if (code !== 'OK') ch.error.publish(message);
    ch.asyncStart.publish(message);
    ch.asyncEnd.publish(message);
  }
}
