import type { DropReason, PeerAddress } from '@udprpc/core';

/** Events a client emits; a call's own outcome is its Promise. */
export type ClientEvents = {
  /** A request is being retransmitted. */
  retry: (info: { id: number; peer: PeerAddress; attempt: number; rtoMs: number }) => void;
  /** A call ended without a reply (deadline or attempts exhausted). */
  timeout: (info: { id: number; peer: PeerAddress; attempts: number }) => void;
  /** A datagram was discarded. */
  drop: (reason: DropReason, from: PeerAddress) => void;
  /** A transport problem; only emitted when someone listens. */
  error: (error: Error) => void;
  close: () => void;
};
