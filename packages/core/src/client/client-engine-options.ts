import type { DropReason } from '../wire/drop-reason.js';
import type { FlowLimits } from '../flowcontrol/peer-state.js';
import type { RetryBudgetPolicy, RetryPolicy } from '../recovery/retry-policy.js';
import type { PeerAddress } from '../transport/transport.js';
import type { PathMtuOptions } from '../pmtu/path-mtu-table.js';

/** What the client engine reports as it works; all optional. */
export interface ClientEngineHooks {
  /** A request is being retransmitted. */
  onRetry?(info: { id: number; peer: PeerAddress; attempt: number; rtoMs: number }): void;
  /** A call ended without a reply. */
  onTimeout?(info: { id: number; peer: PeerAddress; attempts: number }): void;
  /**
   * The server acknowledged a call: it has the request and runs the handler
   * (an ACK, protocol.md §3.2). Reported once the engine accepted the ACK
   * for a call in flight, so observers need not parse datagrams themselves.
   */
  onAck?(info: { id: number; peer: PeerAddress }): void;
  /** A received datagram was discarded. */
  onDrop?(reason: DropReason, from: PeerAddress): void;
  /** The server refused a call before running it (REJECTED with a retry-after hint, §8.1): it waits `retryAfterMs`, then is sent again. */
  onPushback?(info: { id: number; peer: PeerAddress; attempt: number; retryAfterMs: number }): void;
  /** A server this client calls is draining (a GOAWAY, protocol.md §5.9): it stops answering within `drainMs`. */
  onGoAway?(info: { peer: PeerAddress; drainMs: number; incarnation: number }): void;
}

/**
 * Configuration of a {@link ClientEngine}. The constructor checks it: a
 * TypeError for a value of the wrong type or shape, a RangeError for one
 * out of range (see client-options-check.ts for each option's range),
 * naming the option (`options.retry.maxAttempts`).
 */
export interface ClientEngineOptions {
  /** Sends one datagram; must not throw. */
  send(bytes: Uint8Array, to: PeerAddress): void;
  /**
   * Sends one datagram made of `chunks` in order, without joining them
   * (`Transport.sendv`); must not throw. Optional: without it, a fragment of
   * a large message is copied into one buffer for `send`.
   */
  sendv?(chunks: readonly Uint8Array[], to: PeerAddress): void;
  /** Uniform [0, 1) source for ids, session and jitter; inject a seeded one in tests. */
  random?: () => number;
  /** Overrides of `defaultRetryPolicy`. */
  retry?: Partial<RetryPolicy>;
  /** Overrides of `defaultRetryBudget`. */
  retryBudget?: Partial<RetryBudgetPolicy>;
  /** Largest datagram to send (default 1200); with `pmtu`, the base size discovery starts from. */
  maxDatagramBytes?: number;
  /**
   * Path MTU discovery (protocol.md §7.5): request fragments to each server
   * grow to the largest datagram size its path is confirmed to carry, and
   * the server is told that size for its reply fragments. Off when absent.
   */
  pmtu?: PathMtuOptions;
  /** Largest request or reply, fragmented above `maxDatagramBytes` (16 MiB). */
  maxMessageBytes?: number;
  /** Observers of retries, timeouts and drops. */
  hooks?: ClientEngineHooks;
  /** Most peers whose RTT state is remembered (least recently used idle ones go first). */
  maxPeers?: number;
  /** Per-peer in-flight window and queue. */
  flow?: Partial<FlowLimits>;
  /**
   * Codec id put in every REQUEST (protocol.md §5.7): the id of the codec
   * that encoded the payloads. Default 0, which no server accepts: the
   * `@udprpc/client` package always sets its codec's id.
   */
  codec?: number;
  /**
   * Largest reply metadata block accepted, length field included
   * (protocol.md §5.8; default 8192): a reply with more fails its call
   * with RESOURCE_EXHAUSTED.
   */
  maxMetadataBytes?: number;
}
