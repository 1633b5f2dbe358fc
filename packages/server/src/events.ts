import type { DropReason, PeerAddress } from '@udprpc/core';

/** Events a server emits. */
export type ServerEvents = {
  /** The server is bound and serving at `address`. */
  listening: (address: PeerAddress) => void;
  /**
   * A transport problem, or a handler that threw something other than an
   * RpcError (the peer only sees INTERNAL). Only emitted when someone listens:
   * an unobserved error never crashes the server.
   */
  error: (error: Error) => void;
  /** A datagram was discarded. */
  drop: (reason: DropReason, from: PeerAddress) => void;
  /** The server was closed. */
  close: () => void;
};
