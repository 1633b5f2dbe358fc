import { isIP } from 'node:net';
import { RpcError } from '@udprpc/core';
import { err, ok, type Result } from '@udprpc/core/wire';
import { DEFAULT_PEER_CACHE_SIZE } from './peer-cache.js';

/** Largest UDP payload over IPv4: 65535 − 20 (IP header) − 8 (UDP header). */
export const MAX_UDP4_PAYLOAD_BYTES = 65_507;
/** Largest UDP payload over IPv6 without jumbograms: 65535 − 8 (UDP header). */
export const MAX_UDP6_PAYLOAD_BYTES = 65_527;

/** Options for {@link createUdpTransport}. Every field is optional. */
export interface UdpTransportOptions {
  /**
   * Local IP literal to bind: `'127.0.0.1'` (default), `'0.0.0.0'`, `'::1'`,
   * `'::'`, a multicast group to receive only that group's traffic, … Host
   * names are rejected (`INVALID_ARGUMENT`): resolve them yourself, so that
   * no DNS lookup hides inside `listen`.
   */
  host?: string;
  /** Local port; `0` (default) lets the OS pick one, see the resolved address. */
  port?: number;
  /** Socket family. Default: `'udp6'` if `host` contains `':'`, else `'udp4'`. */
  type?: 'udp4' | 'udp6';
  /** udp6 only: refuse IPv4-mapped traffic (IPV6_V6ONLY). Default: the OS default (dual-stack on Linux). */
  ipv6Only?: boolean;
  /** SO_REUSEADDR, e.g. for several multicast receivers on one port. Default `false`. */
  reuseAddr?: boolean;
  /** SO_RCVBUF in bytes (the kernel may clamp it). Default: the OS default. */
  recvBufferBytes?: number;
  /** SO_SNDBUF in bytes (the kernel may clamp it). Default: the OS default. */
  sendBufferBytes?: number;
  /**
   * Largest datagram sent or accepted; larger sends are reported through
   * `onError` (`RESOURCE_EXHAUSTED`) and larger received datagrams are
   * dropped and counted. Default and maximum: 65507 for udp4, 65527 for udp6.
   */
  maxDatagramBytes?: number;
  /** IP_MULTICAST_TTL / IPV6_MULTICAST_HOPS, 0–255. `0` keeps multicast on this host. */
  multicastTtl?: number;
  /** Whether this host's own sockets receive our multicast (IP_MULTICAST_LOOP). */
  multicastLoopback?: boolean;
  /**
   * Outgoing interface for multicast: an IPv4 address of a local interface
   * (`'127.0.0.1'`) for udp4, or `'::%eth0'`-style scope for udp6.
   */
  multicastInterface?: string;
  /** SO_BROADCAST: allow sending to broadcast addresses. Default `false`. */
  broadcast?: boolean;
  /** How many distinct peers to intern (see `PeerCache`). Default 4096. */
  peerCacheSize?: number;
  /**
   * Connect the socket to this one peer (UDP `connect(2)`): sends to it skip
   * per-datagram address handling, and datagrams from anyone else are
   * filtered out by the kernel. Sends to other peers are then refused
   * (INVALID_ARGUMENT through `onError`). Only for single-server clients.
   */
  connect?: {
    /** The peer's IP literal. */
    address: string;
    /** The peer's port. */
    port: number;
  };
}

/** {@link UdpTransportOptions} after defaults and validation. */
export interface ResolvedUdpOptions {
  readonly host: string;
  readonly port: number;
  readonly type: 'udp4' | 'udp6';
  readonly ipv6Only: boolean | undefined;
  readonly reuseAddr: boolean;
  readonly recvBufferBytes: number | undefined;
  readonly sendBufferBytes: number | undefined;
  readonly maxDatagramBytes: number;
  readonly multicastTtl: number | undefined;
  readonly multicastLoopback: boolean | undefined;
  readonly multicastInterface: string | undefined;
  readonly broadcast: boolean | undefined;
  readonly peerCacheSize: number;
  readonly connect: { address: string; port: number } | undefined;
}

/** The udp4/udp6 payload ceiling. */
export function payloadLimit(type: 'udp4' | 'udp6'): number {
  return type === 'udp6' ? MAX_UDP6_PAYLOAD_BYTES : MAX_UDP4_PAYLOAD_BYTES;
}

const isInt = (n: number, min: number, max: number): boolean => Number.isInteger(n) && n >= min && n <= max;

/**
 * Applies defaults and checks every option. Never throws: a bad option is an
 * `INVALID_ARGUMENT` RpcError that `listen` rejects with.
 */
export function resolveUdpOptions(options: UdpTransportOptions): Result<ResolvedUdpOptions, RpcError> {
  const host = options.host ?? '127.0.0.1';
  const bad = (message: string): Result<ResolvedUdpOptions, RpcError> =>
    err(new RpcError('INVALID_ARGUMENT', `udp transport: ${message}`));

  if (typeof host !== 'string' || isIP(host) === 0) {
    return bad(`host must be an IP literal such as '127.0.0.1' or '::1', got ${JSON.stringify(host)}`);
  }
  const hostFamily = isIP(host) === 6 ? 'udp6' : 'udp4';
  const type = options.type ?? hostFamily;
  if (type !== 'udp4' && type !== 'udp6') return bad(`type must be 'udp4' or 'udp6', got ${String(type)}`);
  if (type !== hostFamily) return bad(`host ${host} is an ${hostFamily === 'udp6' ? 'IPv6' : 'IPv4'} address but type is ${type}`);

  const port = options.port ?? 0;
  if (!isInt(port, 0, 65_535)) return bad(`port must be an integer in 0..65535, got ${port}`);

  const limit = payloadLimit(type);
  const maxDatagramBytes = options.maxDatagramBytes ?? limit;
  if (!isInt(maxDatagramBytes, 1, limit)) {
    return bad(`maxDatagramBytes must be an integer in 1..${limit} for ${type}, got ${maxDatagramBytes}`);
  }
  for (const name of ['recvBufferBytes', 'sendBufferBytes'] as const) {
    const value = options[name];
    if (value !== undefined && !isInt(value, 1, 2 ** 31 - 1)) {
      return bad(`${name} must be a positive integer, got ${value}`);
    }
  }
  if (options.multicastTtl !== undefined && !isInt(options.multicastTtl, 0, 255)) {
    return bad(`multicastTtl must be an integer in 0..255, got ${options.multicastTtl}`);
  }
  const iface = options.multicastInterface;
  if (iface !== undefined && (typeof iface !== 'string' || iface === '')) {
    return bad(`multicastInterface must be a non-empty string`);
  }
  if (options.ipv6Only !== undefined && type !== 'udp6') return bad(`ipv6Only applies only to udp6 sockets`);
  const peerCacheSize = options.peerCacheSize ?? DEFAULT_PEER_CACHE_SIZE;
  if (!isInt(peerCacheSize, 0, 2 ** 24)) return bad(`peerCacheSize must be an integer in 0..16777216, got ${peerCacheSize}`);

  return ok({
    host,
    port,
    type,
    ipv6Only: options.ipv6Only,
    reuseAddr: options.reuseAddr ?? false,
    recvBufferBytes: options.recvBufferBytes,
    sendBufferBytes: options.sendBufferBytes,
    maxDatagramBytes,
    multicastTtl: options.multicastTtl,
    multicastLoopback: options.multicastLoopback,
    multicastInterface: iface,
    broadcast: options.broadcast,
    peerCacheSize,
    connect: options.connect,
  });
}
