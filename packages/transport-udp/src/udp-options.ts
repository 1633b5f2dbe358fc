import { isIP } from 'node:net';
import {
  checkNumber,
  checkObject,
  checkOptionalBoolean,
  checkOptionalChoice,
  checkOptionalNumber,
  checkOptionalString,
  describeValue,
} from '@udprpc/core/engine';
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
   * names are rejected (a TypeError from the factory): resolve them yourself, so that
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
   * An address of the other family than `host` is a TypeError from the factory.
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

/** A TypeError unless `value` is an IP literal (of IP version `version`, when given); returns its version (4 or 6). */
export function checkIpLiteral(value: unknown, name: string, expected: string, version?: 4 | 6): 4 | 6 {
  const found = typeof value === 'string' ? isIP(value) : 0;
  if (found === 0 || (version !== undefined && found !== version)) {
    throw new TypeError(`${name} must be ${expected}, got ${describeValue(value)}`);
  }
  return found as 4 | 6;
}

/**
 * Applies defaults and checks every option: a TypeError for a value of the
 * wrong type or shape (a host name where an IP literal is needed, a family
 * that does not match the host), a RangeError for a number out of range.
 */
export function resolveUdpOptions(options: UdpTransportOptions): ResolvedUdpOptions {
  checkObject(options as unknown, 'options');
  const host = options.host ?? '127.0.0.1';
  const version = checkIpLiteral(host, 'options.host', "an IP literal such as '127.0.0.1' or '::1' (resolve host names first)");
  const hostFamily = version === 6 ? 'udp6' : 'udp4';
  checkOptionalChoice(options.type, 'options.type', ['udp4', 'udp6']);
  const type = options.type ?? hostFamily;
  if (type !== hostFamily) throw new TypeError(`options.host ${host} is an ${hostFamily === 'udp6' ? 'IPv6' : 'IPv4'} address but options.type is ${type}`);
  const port = checkNumber(options.port ?? 0, 'options.port', { min: 0, max: 65_535, integer: true });
  const limit = payloadLimit(type);
  const maxDatagramBytes = checkNumber(options.maxDatagramBytes ?? limit, 'options.maxDatagramBytes', { min: 1, max: limit, integer: true });
  for (const name of ['recvBufferBytes', 'sendBufferBytes'] as const) {
    checkOptionalNumber(options[name], `options.${name}`, { min: 1, max: 2 ** 31 - 1, integer: true });
  }
  checkOptionalNumber(options.multicastTtl, 'options.multicastTtl', { min: 0, max: 255, integer: true });
  checkOptionalString(options.multicastInterface, 'options.multicastInterface', true);
  for (const flag of ['ipv6Only', 'reuseAddr', 'multicastLoopback', 'broadcast'] as const) checkOptionalBoolean(options[flag], `options.${flag}`);
  if (options.ipv6Only !== undefined && type !== 'udp6') throw new TypeError('options.ipv6Only applies only to udp6 sockets');
  const peerCacheSize = checkNumber(options.peerCacheSize ?? DEFAULT_PEER_CACHE_SIZE, 'options.peerCacheSize', { min: 0, max: 2 ** 24, integer: true });
  if (options.connect !== undefined) {
    checkObject(options.connect as unknown, 'options.connect');
    checkIpLiteral(options.connect.address, 'options.connect.address', `an IPv${version} literal like options.host`, version);
    checkNumber(options.connect.port, 'options.connect.port', { min: 1, max: 65_535, integer: true });
  }

  return {
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
    multicastInterface: options.multicastInterface,
    broadcast: options.broadcast,
    peerCacheSize,
    connect: options.connect,
  };
}
