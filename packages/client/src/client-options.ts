import type { Clock, Codec, PeerAddress, RetryBudgetPolicy, RetryPolicy, Transport } from '@udprpc/core';
import type { FlowLimits } from '@udprpc/core/engine';
import type { WeightedPeer } from './balancer.js';
import type { ClientInterceptor } from './interceptor.js';
import type { RoutingOptions } from './routing-policy.js';

/** Options of {@link createClient}. Give either `peer` or `peers`. */
export interface ClientOptions extends RoutingOptions {
  /** The datagram transport; the client binds it on first use. */
  transport: Transport;
  /**
   * The one server to call, or a promise of it, or a function giving one
   * (e.g. a host name lookup). A function is called on each connection
   * attempt, so a failed lookup is tried again by the next call.
   */
  peer?: PeerAddress | Promise<PeerAddress> | (() => Promise<PeerAddress>);
  /**
   * Several servers offering the same service: calls are spread over them,
   * unhealthy ones are ejected, idempotent calls fail over and may be hedged
   * (docs/multi-endpoint.md). Peers may carry a DNS SRV `priority` and
   * `weight` (RFC 2782). Change the list later with `setPeers`. A
   * function is called on each connection attempt, so a failed discovery
   * (DNS) is tried again by the next call.
   */
  peers?: readonly WeightedPeer[] | Promise<readonly WeightedPeer[]> | (() => Promise<readonly WeightedPeer[]>);
  /** Payload codec; must match the server's. Default: JSON (the `udprpc` package defaults to msgpack). */
  codec?: Codec;
  /** Time source; inject a virtual clock in tests. Default: the system's monotonic clock. */
  clock?: Clock;
  /** Uniform [0,1) random source for ids, jitter and load balancing; inject a seeded one in tests. */
  random?: () => number;
  /** Default per-call time budget in ms (5000). */
  timeoutMs?: number;
  /** Overrides of the retransmission policy (`defaultRetryPolicy`). */
  retry?: Partial<RetryPolicy>;
  /** Overrides of the retry budget (`defaultRetryBudget`). */
  retryBudget?: Partial<RetryBudgetPolicy>;
  /**
   * Largest datagram to send (1200 by default); larger messages are
   * fragmented. Setting it fixes the size: path MTU discovery is then off.
   */
  maxDatagramBytes?: number;
  /**
   * Path MTU discovery (protocol.md §7.5; default true when the transport
   * knows its per-destination limit, as the UDP transport does): request
   * fragments grow from 1200 bytes to the largest size each server's path is
   * confirmed to carry (65,507 on loopback), and the server is told, for its
   * reply fragments. Off when `maxDatagramBytes` is set.
   */
  pathMtuDiscovery?: boolean;
  /** Largest request or reply, in bytes (16 MiB). */
  maxMessageBytes?: number;
  /**
   * Largest metadata block, length field included, that a call may send or
   * a reply may bring (protocol.md §5.8; default 8192). A call with more
   * request metadata fails with RESOURCE_EXHAUSTED before anything is sent;
   * a reply with more fails its call with RESOURCE_EXHAUSTED.
   */
  maxMetadataBytes?: number;
  /** Calls in flight to each server before new ones queue (1024), the queue's size (4096), and whether a full window queues or fails. */
  flow?: Partial<FlowLimits>;
  /** Outermost first. */
  interceptors?: readonly ClientInterceptor[];
  /**
   * Pack frames bound for the same server in one job (one synchronous burst
   * of calls, or the handling of one reply datagram) into one
   * datagram (protocol.md §3.4). Default true: a lone frame is sent as is, so
   * it costs nothing when there is nothing to pack.
   */
  coalesce?: boolean;
  /**
   * Validate each call's argument against its method's input schema before
   * sending (default true): an invalid one rejects with INVALID_ARGUMENT and
   * `details.issues`, as the server would, and nothing is sent (the check
   * runs before the interceptors, so they see only calls that are sent).
   * The original value is sent, not the schema's output: the server
   * validates again and applies any transform itself.
   */
  validate?: boolean;
  /**
   * Also validate each reply against its method's output schema (default
   * false); a mismatch rejects with INTERNAL and `details.issues`. Meant for
   * output schemas without transforms (the server sends the schema's output).
   */
  validateOutput?: boolean;
}
