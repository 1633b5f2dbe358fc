import type { PeerAddress } from './transport.js';

/**
 * Datagrams and bytes that crossed between an engine and its transport, as
 * the client or server counted them at that boundary, and the datagrams or
 * frames the engine dropped (all reasons; by reason in `drops`).
 */
export interface TransportCounters {
  datagramsIn: number;
  bytesIn: number;
  datagramsOut: number;
  bytesOut: number;
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
  transport: { send(bytes: Uint8Array, to: PeerAddress): void },
  counters: TransportCounters,
): { send(bytes: Uint8Array, to: PeerAddress): void } {
  return {
    send(bytes: Uint8Array, to: PeerAddress): void {
      counters.datagramsOut++;
      counters.bytesOut += bytes.length;
      transport.send(bytes, to);
    },
  };
}
