import type { PeerAddress } from '../transport/transport.js';
import type { Metadata } from '../wire/metadata.js';

// The call record the server engine hands to the handler layer, in a module
// of its own: the dedup cache (which implements it) and the engine's option
// types both need it, and neither may import the other's module.

/**
 * A request the server should run. The object itself names the call in
 * {@link ServerEngine.respond} and `onAbort` (compare by identity): it is the
 * engine's own record of the call, so no string key is built per call.
 */
export interface IncomingCall {
  /** The handle `respond` and `onAbort` use: the call itself. */
  readonly key: IncomingCall;
  /** Where the request came from. */
  readonly peer: PeerAddress;
  /** The client's session number. */
  readonly session: number;
  /** The message id within the session. */
  readonly id: number;
  /** The wire method name, `service.method`. */
  readonly method: string;
  /** The request payload; read it before answering: the engine lets it go once the call is answered or cancelled. */
  readonly payload: Uint8Array;
  /** Absolute deadline on the engine's clock. */
  readonly deadlineAt: number;
  /** True for a notification: the handler runs but nothing is sent back. */
  readonly noReply: boolean;
  /** Identity the transport authenticated the (completing) datagram as, if any. */
  readonly authenticatedAs: string | undefined;
  /**
   * Codec id the request named for its payload (protocol.md §5.1, §5.7). The
   * engine does not check it: the layer that owns the codec refuses a
   * mismatch with UNIMPLEMENTED (§6.2).
   */
  readonly codec: number;
  /**
   * The request's metadata (protocol.md §5.8), or undefined when it carried
   * none. Read it before answering: the engine lets it go with the payload.
   */
  readonly metadata: Metadata | undefined;
}
