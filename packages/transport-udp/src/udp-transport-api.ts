import type { PeerAddress, Transport } from '@udprpc/core';
import type { UdpTransportStats } from './udp-stats.js';

/** A {@link Transport} over a real `node:dgram` socket, with multicast and broadcast controls. */
export interface UdpTransport extends Transport {
  /** The bound local address once `listen` has resolved; `undefined` before and after. */
  readonly localAddress: PeerAddress | undefined;
  /** Largest datagram sent or accepted (the option, or 65507 / 65527 for udp4 / udp6). */
  readonly maxDatagramBytes: number;
  /** The largest datagram that leaves for `to` unfragmented: `maxDatagramBytes` toward loopback, an Ethernet frame's payload otherwise (protocol.md §7.5). */
  maxPathDatagramBytes(to: PeerAddress): number;
  /** One datagram gathered from `chunks` by the kernel (`sendmsg` with one iovec per chunk), never joined in memory first. */
  sendv(chunks: readonly Uint8Array[], to: PeerAddress): void;
  /** A snapshot of the counters. */
  stats(): UdpTransportStats;
  /** Whether the socket keeps the process alive (`socket.ref()` / `unref()`, applied at bind if not bound yet). */
  setRef(ref: boolean): void;
  /**
   * Joins multicast `group` (IP_ADD_MEMBERSHIP) on the interface whose address
   * is `iface` (the OS picks one when omitted). Bind to the group address or to
   * `'0.0.0.0'` / `'::'` to receive its traffic.
   * @throws RpcError `FAILED_PRECONDITION` when not listening; the errno mapping otherwise.
   */
  addMembership(group: string, iface?: string): void;
  /**
   * Leaves multicast `group` (IP_DROP_MEMBERSHIP). Closing the socket leaves all groups.
   * @throws RpcError `FAILED_PRECONDITION` when not listening; the errno mapping otherwise.
   */
  dropMembership(group: string, iface?: string): void;
  /**
   * Sets the outgoing multicast interface (IP_MULTICAST_IF), e.g. `'127.0.0.1'`.
   * @throws RpcError `FAILED_PRECONDITION` when not listening; the errno mapping otherwise.
   */
  setMulticastInterface(iface: string): void;
  /**
   * Allows or forbids sending to broadcast addresses (SO_BROADCAST).
   * @throws RpcError `FAILED_PRECONDITION` when not listening; the errno mapping otherwise.
   */
  setBroadcast(flag: boolean): void;
}
