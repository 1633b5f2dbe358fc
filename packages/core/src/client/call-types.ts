import type { RpcError } from '../errors.js';
import type { PeerAddress } from '../transport/transport.js';

// What a caller gives the client engine (a request) and gets back (an
// outcome, or, for a group call, one outcome per responding server).

/** One outgoing request. */
export interface CallRequest {
  /** The server to call. */
  peer: PeerAddress;
  /** UTF-8 wire name, encoded once per method by the caller. */
  method: Uint8Array;
  /** The encoded argument. */
  payload: Uint8Array;
  /** Absolute deadline on the engine's clock. */
  deadlineAt: number;
}

/** How a call ended, as the engine sees it (payloads are still encoded). */
export type CallOutcome =
  | {
      /** A result came. */
      ok: true;
      /** The encoded result. */
      payload: Uint8Array;
    }
  | {
      /** The call failed. */
      ok: false;
      /** Why; from the server when `error.remote`. */
      error: RpcError;
      /** The error's encoded details, if the server sent any. */
      detailsBytes?: Uint8Array;
    };

/**
 * Collects the replies of a group call (a request sent to a multicast or
 * broadcast address): one per responding server, at most `maxReplies`.
 */
export interface GroupCollector {
  /** Replies after which the call ends (its deadline ends it otherwise). */
  readonly maxReplies: number;
  /** One server's reply; each server answers once. */
  onReply(from: PeerAddress, outcome: CallOutcome): void;
}
