/**
 * @udprpc/transport-udp — the `node:dgram` adapter: a {@link @udprpc/core!Transport} over a
 * real UDP socket (IPv4, IPv6, dual-stack, multicast, broadcast), with Node's
 * errno codes mapped to {@link @udprpc/core!RpcError} codes in one place. It is the only
 * udprpc package that touches `node:dgram`.
 *
 * @example
 * import { createUdpTransport } from '@udprpc/transport-udp';
 *
 * const transport = createUdpTransport({ host: '127.0.0.1', port: 4000 });
 * const local = await transport.listen(
 *   (bytes, from) => transport.send(bytes, from), // echo
 *   (error) => console.warn(error.message), // an RpcError: send failures, socket errors
 * );
 * console.log(`listening on ${local.address}:${local.port}`);
 * await transport.close();
 *
 * @packageDocumentation
 * @module @udprpc/transport-udp
 */
export { createUdpTransport } from './udp-transport.js';
export {
  createGroupTransport,
  isMulticastAddress,
  type GroupTransport,
  type GroupTransportOptions,
  type GroupTransportStats,
} from './group-transport.js';
export type { UdpTransport } from './udp-transport-api.js';
export {
  MAX_UDP4_PAYLOAD_BYTES,
  MAX_UDP6_PAYLOAD_BYTES,
  type UdpTransportOptions,
} from './udp-options.js';
export { type UdpTransportStats } from './udp-stats.js';
export { rpcErrorFromErrno, codeFromErrno, errnoOf, icmpErrnos } from './errno.js';
export { PeerCache, DEFAULT_PEER_CACHE_SIZE } from './peer-cache.js';
export { maxPathDatagramBytes, isLoopback, ETHERNET_IPV4_PAYLOAD, ETHERNET_IPV6_PAYLOAD } from './path-limit.js';
