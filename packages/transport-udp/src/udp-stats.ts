/**
 * A snapshot of a UDP transport's counters (CONVENTIONS §9: counters live in
 * a plain `stats()` snapshot). Every send or receive that does not complete
 * normally is counted under exactly one reason.
 */
export interface UdpTransportStats {
  /** Datagrams the kernel accepted for sending (send callback without error). */
  readonly datagramsSent: number;
  /** Payload bytes of {@link datagramsSent}. */
  readonly bytesSent: number;
  /** Datagrams read from the socket, including those then dropped as oversize. */
  readonly datagramsReceived: number;
  /** Payload bytes of {@link datagramsReceived}. */
  readonly bytesReceived: number;
  /** Sends dropped because the transport was not listening (before `listen`, while binding, after `close`). */
  readonly sendDropsNotListening: number;
  /** Sends dropped because the datagram exceeded `maxDatagramBytes`. */
  readonly sendDropsOversize: number;
  /** Sends dropped because the peer cannot be reached by this socket (wrong family, bad port, `sim` address). */
  readonly sendDropsBadPeer: number;
  /** Sends that `socket.send` rejected, synchronously or in its callback (EMSGSIZE, ENETUNREACH, …). */
  readonly sendErrors: number;
  /** ECONNREFUSED / ECONNRESET left by ICMP port-unreachable for an earlier datagram, naming no peer (or nobody to tell): counted, ignored. */
  readonly icmpErrorsIgnored: number;
  /** ECONNREFUSED on a connected socket: nothing listens at its peer; reported to `listen`'s `onUnreachable`. */
  readonly refusalsReported: number;
  /** Received datagrams larger than `maxDatagramBytes`, dropped before the handler. */
  readonly receiveDropsOversize: number;
  /** Socket `'error'` events after binding (other than ICMP ones), reported through `onError`. */
  readonly socketErrors: number;
  /** Exceptions thrown by the `onDatagram` handler, reported through `onError` as INTERNAL. */
  readonly handlerErrors: number;
  /** Peers currently interned by the peer cache. */
  readonly peerCacheEntries: number;
}

/** The mutable counters behind {@link UdpTransportStats}. */
export type UdpCounters = { -readonly [K in keyof UdpTransportStats]: UdpTransportStats[K] };

/** All counters at zero. */
export function zeroCounters(): UdpCounters {
  return {
    datagramsSent: 0,
    bytesSent: 0,
    datagramsReceived: 0,
    bytesReceived: 0,
    sendDropsNotListening: 0,
    sendDropsOversize: 0,
    sendDropsBadPeer: 0,
    sendErrors: 0,
    icmpErrorsIgnored: 0,
    refusalsReported: 0,
    receiveDropsOversize: 0,
    socketErrors: 0,
    handlerErrors: 0,
    peerCacheEntries: 0,
  };
}
