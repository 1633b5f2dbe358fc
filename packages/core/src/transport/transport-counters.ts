import { datagramLength, sendChunks, type PeerAddress, type Transport } from './transport.js';

/**
 * Datagrams and bytes that crossed between an engine and its transport, as
 * the client or server counted them at that boundary, and the datagrams or
 * frames the engine dropped (all reasons; by reason in `drops`).
 */
export interface TransportCounters {
  /** Datagrams received from the transport. */
  datagramsIn: number;
  /** Bytes in those datagrams. */
  bytesIn: number;
  /** Datagrams handed to the transport. */
  datagramsOut: number;
  /** Bytes in those datagrams. */
  bytesOut: number;
  /** Received datagrams or frames the engine dropped, all reasons together. */
  drops: number;
}

/** All counters at zero. */
export function zeroTransportCounters(): TransportCounters {
  return { datagramsIn: 0, bytesIn: 0, datagramsOut: 0, bytesOut: 0, drops: 0 };
}

/**
 * A sender that counts each datagram in `counters`, then hands it to
 * `transport`. Put it below the coalescer, so a count is a datagram.
 */
export function countedSender(
  transport: Pick<Transport, 'send' | 'sendv'>,
  counters: TransportCounters,
): {
  /** Sends one datagram through `transport`, counting it. */
  send(bytes: Uint8Array, to: PeerAddress): void;
  /** Sends one datagram made of `chunks` through `transport` ({@link sendChunks}), counting it. */
  sendv(chunks: readonly Uint8Array[], to: PeerAddress): void;
} {
  return {
    send(bytes: Uint8Array, to: PeerAddress): void {
      counters.datagramsOut++;
      counters.bytesOut += bytes.length;
      transport.send(bytes, to);
    },
    sendv(chunks: readonly Uint8Array[], to: PeerAddress): void {
      counters.datagramsOut++;
      counters.bytesOut += datagramLength(chunks);
      sendChunks(transport, chunks, to);
    },
  };
}
