import type { DropReason, PeerAddress, RpcError } from '@udprpc/core';
import type { HealthState } from './endpoint-health.js';

/** Events a client emits; a call's own outcome is its Promise. */
export type ClientEvents = {
  /** A request is being retransmitted. */
  retry: (info: { id: number; peer: PeerAddress; attempt: number; rtoMs: number }) => void;
  /** A call (or one attempt of a multi-endpoint call) ended without a reply (deadline or attempts exhausted). */
  timeout: (info: { id: number; peer: PeerAddress; attempts: number }) => void;
  /** A datagram was discarded. */
  drop: (reason: DropReason, from: PeerAddress) => void;
  /** Multi-endpoint: an idempotent call moved to another endpoint. */
  failover: (info: { from: PeerAddress; to: PeerAddress; reason: RpcError }) => void;
  /** Multi-endpoint: an idempotent call was hedged to a second endpoint after `delayMs`. */
  hedge: (info: { peer: PeerAddress; delayMs: number }) => void;
  /** Multi-endpoint: an endpoint was ejected, or became healthy again. */
  health: (info: { peer: PeerAddress; state: HealthState }) => void;
  /**
   * A server this client calls is draining (a GOAWAY, protocol.md §5.9): it
   * stops answering within `drainMs`. A multi-endpoint client sends its new
   * calls to other endpoints meanwhile; calls in flight there finish.
   */
  goaway: (info: { peer: PeerAddress; drainMs: number; incarnation: number }) => void;
  /** A transport problem; only emitted when someone listens. */
  error: (error: Error) => void;
  /** The client was closed. */
  close: () => void;
};
