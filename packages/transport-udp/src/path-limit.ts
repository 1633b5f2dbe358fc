import type { PeerAddress } from '@udprpc/core';

/** Ethernet's 1500-byte MTU less 20 bytes of IPv4 and 8 of UDP header. */
export const ETHERNET_IPV4_PAYLOAD = 1472;
/** Ethernet's 1500-byte MTU less 40 bytes of IPv6 and 8 of UDP header. */
export const ETHERNET_IPV6_PAYLOAD = 1452;

/** Whether `address` is a loopback address (127.0.0.0/8, ::1, or an IPv4-mapped 127.x). */
export function isLoopback(address: string): boolean {
  return address.startsWith('127.') || address === '::1' || address.toLowerCase().startsWith('::ffff:127.');
}

/**
 * The largest UDP payload that leaves for `to` without IP fragmentation, as
 * far as a socket can tell without asking the kernel (Node.js sets neither
 * IP_MTU_DISCOVER nor reads IP_MTU): the whole `maxDatagramBytes` toward
 * loopback (its MTU is 64 KiB), and an Ethernet frame otherwise — the
 * kernel would fragment a larger datagram before it left, and path MTU
 * discovery must never count on that (protocol.md §7.5). Jumbo-frame LANs
 * need `maxDatagramBytes` set by hand on both sides.
 */
export function maxPathDatagramBytes(to: PeerAddress, maxDatagramBytes: number): number {
  if (isLoopback(to.address)) return maxDatagramBytes;
  return Math.min(maxDatagramBytes, to.family === 'IPv6' ? ETHERNET_IPV6_PAYLOAD : ETHERNET_IPV4_PAYLOAD);
}
