import type { DropReason, PeerAddress } from '@udprpc/core';

/** The call a handler failure belongs to. */
export interface FailedCall {
  /** The contract's service name. */
  readonly service: string;
  /** The method's name within the service. */
  readonly method: string;
  /** The caller's address. */
  readonly peer: PeerAddress;
}

/** Events a server emits. */
export type ServerEvents = {
  /** The server is bound and serving at `address`. */
  listening: (address: PeerAddress) => void;
  /**
   * A transport problem, or a handler failure the peer only sees as INTERNAL:
   * a throw other than an RpcError, or a result (or an RpcError's details)
   * the codec cannot encode; for those, `call` names the handler and the
   * caller. Only emitted when someone listens: an unobserved error never
   * crashes the server, and an unobserved handler failure becomes a
   * rate-limited process warning instead (ServerOptions.warnings).
   */
  error: (error: Error, call?: FailedCall) => void;
  /** A datagram was discarded. */
  drop: (reason: DropReason, from: PeerAddress) => void;
  /** The server was closed. */
  close: () => void;
};
