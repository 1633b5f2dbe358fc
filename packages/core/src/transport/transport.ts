/**
 * A UDP-style peer address. `address` is an IP literal (or a simulated name).
 * Treated as immutable: engines remember objects they were handed (and may
 * match them by identity), so a transport must hand out a new object rather
 * than change one it gave before.
 */
export interface PeerAddress {
  /** IP literal (or a simulated host name). */
  readonly address: string;
  /** Address family; `sim` for the testkit's simulated network. */
  readonly family: 'IPv4' | 'IPv6' | 'sim';
  /** UDP port. */
  readonly port: number;
}

/** A stable string key for maps keyed by peer. */
export function peerKey(peer: PeerAddress): string {
  return `${peer.address}|${peer.port}`;
}

/** Formats a peer for messages: `127.0.0.1:4000`, `[::1]:4000`. */
export function formatPeer(peer: PeerAddress): string {
  return peer.family === 'IPv6' ? `[${peer.address}]:${peer.port}` : `${peer.address}:${peer.port}`;
}

/** What a transport knows about a datagram beyond its bytes and source. */
export interface DatagramMeta {
  /**
   * Set by an authenticating transport (e.g. a pre-shared-key AEAD layer)
   * when the datagram was verified: the identity of the key that sealed it.
   */
  readonly authenticatedAs?: string;
}

/** Called for every datagram a transport receives. */
export type DatagramHandler = (bytes: Uint8Array, from: PeerAddress, meta?: DatagramMeta) => void;

/**
 * Called when the network reports that nothing listens at `peer`: an ICMP
 * port unreachable, which a connected UDP socket surfaces as ECONNREFUSED,
 * once per datagram sent. A hint (ICMP is not authenticated), not proof.
 */
export type UnreachableHandler = (peer: PeerAddress) => void;

/**
 * A datagram transport: the only thing the engine needs from the network.
 * Implementations: real UDP (`@udprpc/transport-udp`), the in-memory pair and
 * the simulated network (`@udprpc/testkit`). Sends are fire-and-forget, like
 * UDP itself: failures are reported through `onError`, never thrown.
 */
export interface Transport {
  /**
   * Starts receiving; resolves with the local address once bound. A
   * transport that can tell (a connected UDP socket) reports refusals to
   * `onUnreachable`; wrappers pass it on.
   */
  listen(onDatagram: DatagramHandler, onError: (error: Error) => void, onUnreachable?: UnreachableHandler): Promise<PeerAddress>;
  /** Queues one datagram for `to`. Must not throw. */
  send(bytes: Uint8Array, to: PeerAddress): void;
  /**
   * Queues one datagram for `to` made of `chunks` in order, without joining
   * them first (scatter/gather: a fragment's header and a view of the message
   * it is cut from). Optional; senders join the chunks and call `send` when a
   * transport lacks it ({@link sendChunks}). Must not throw; the caller must
   * not change the chunks until the datagram is sent.
   */
  sendv?(chunks: readonly Uint8Array[], to: PeerAddress): void;
  /** Stops receiving and releases the socket. Idempotent. */
  close(): Promise<void>;
  /**
   * Whether the transport's sockets keep the Node.js process alive
   * (`socket.ref()` / `socket.unref()`); they do until told otherwise.
   * Clients turn it off while no call is in flight, so a forgotten client
   * does not hold the process open. Wrapping transports forward it.
   */
  setRef?(ref: boolean): void;
  /** Largest datagram this transport can carry, if it knows a limit. */
  readonly maxDatagramBytes?: number;
  /**
   * Bytes the transport adds to every datagram (e.g. an AEAD seal). Engines
   * subtract it from their default datagram size, so what reaches the wire
   * still fits the 1200-byte path floor.
   */
  readonly overheadBytes?: number;
  /**
   * The largest datagram that can leave for `to` without IP fragmentation,
   * as far as the transport knows (for UDP: the outgoing link's MTU less the
   * IP and UDP headers; 65,507 toward loopback). Engines probe no larger
   * (protocol.md §7.5); a transport without it gets no path MTU discovery.
   */
  maxPathDatagramBytes?(to: PeerAddress): number;
}

/** Bytes in a datagram given whole or as chunks. */
export function datagramLength(bytes: Uint8Array | readonly Uint8Array[]): number {
  if (bytes instanceof Uint8Array) return bytes.length;
  let length = 0;
  for (const c of bytes) length += c.length;
  return length;
}

/** The bytes of `chunks` in one buffer. */
export function joinChunks(chunks: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(datagramLength(chunks));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** Sends `chunks` as one datagram: through `transport.sendv`, or joined through `send`. */
export function sendChunks(transport: Pick<Transport, 'send' | 'sendv'>, chunks: readonly Uint8Array[], to: PeerAddress): void {
  if (transport.sendv !== undefined) transport.sendv(chunks, to);
  else transport.send(joinChunks(chunks), to);
}

/**
 * The datagram size an engine uses on `transport` when none is configured:
 * `defaultBytes` (1200), within the transport's limit, less its overhead.
 */
export function defaultDatagramBytes(transport: Transport, defaultBytes = 1200): number {
  return Math.min(defaultBytes, transport.maxDatagramBytes ?? defaultBytes) - (transport.overheadBytes ?? 0);
}

/**
 * The path MTU discovery limit an engine on `transport` probes up to
 * (protocol.md §7.5): the transport's per-destination limit less its
 * overhead, or undefined (no discovery) when it knows none.
 */
export function pathDatagramLimit(transport: Transport): ((to: PeerAddress) => number) | undefined {
  const limit = transport.maxPathDatagramBytes;
  if (limit === undefined) return undefined;
  const overhead = transport.overheadBytes ?? 0;
  return (to) => limit.call(transport, to) - overhead;
}

/**
 * The `pmtu` option of an engine on `transport` (protocol.md §7.5):
 * discovery is on unless the user fixed `maxDatagramBytes` or turned it off,
 * and the transport knows its per-destination limit.
 */
export function pathMtuOption(
  transport: Transport,
  options: { maxDatagramBytes?: number | undefined; pathMtuDiscovery?: boolean | undefined },
): {
  /** The largest datagram that may be sent to `to` without IP fragmentation. */
  maxDatagramBytesFor(to: PeerAddress): number;
} | undefined {
  if (options.maxDatagramBytes !== undefined || options.pathMtuDiscovery === false) return undefined;
  const limit = pathDatagramLimit(transport);
  return limit === undefined ? undefined : { maxDatagramBytesFor: limit };
}
