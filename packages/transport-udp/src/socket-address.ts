import { isIP } from 'node:net';
import { formatPeer, type PeerAddress } from '@udprpc/core';
import { err, ok, type Result } from '@udprpc/core/wire';

/**
 * The address string `socket.send` needs to reach `to` from a socket of
 * `type`, or why it cannot. A udp6 socket that is not `ipv6Only` reaches IPv4
 * peers through their IPv4-mapped form (`::ffff:127.0.0.1`).
 */
export function sendAddressFor(to: PeerAddress, type: 'udp4' | 'udp6', ipv6Only: boolean | undefined): Result<string, string> {
  if (!Number.isInteger(to.port) || to.port < 1 || to.port > 65_535) return err(`port ${to.port} is not in 1..65535`);
  switch (to.family) {
    case 'IPv4':
      if (type === 'udp4') return ok(to.address);
      if (ipv6Only === true) return err('an IPv4 peer cannot be reached from an ipv6Only socket');
      return isIP(to.address) === 4 ? ok(`::ffff:${to.address}`) : ok(to.address);
    case 'IPv6':
      return type === 'udp6' ? ok(to.address) : err('an IPv6 peer cannot be reached from a udp4 socket');
    default:
      return err(`family ${String(to.family)} is not an IP family`);
  }
}

/** `127.0.0.1:4000` / `[::1]:4000` for a bind address. */
export function formatBindAddress(host: string, type: 'udp4' | 'udp6', port: number): string {
  return formatPeer({ address: host, family: type === 'udp6' ? 'IPv6' : 'IPv4', port });
}

/** `host:port` from a peer or a Node send error (ExceptionWithHostPort), without ever throwing. */
export function describeTarget(target: unknown): string {
  if (typeof target !== 'object' || target === null) return String(target);
  const { address, port, hostname } = target as { address?: unknown; port?: unknown; hostname?: unknown };
  const host = typeof address === 'string' ? address : typeof hostname === 'string' ? hostname : '?';
  const shown = host.includes(':') ? `[${host}]` : host;
  return typeof port === 'number' ? `${shown}:${port}` : shown;
}

/**
 * The socket's address resolver (`createSocket({ lookup })`): IP literals
 * only, answered synchronously, so that neither `bind` nor `send` ever makes
 * a DNS query or waits a tick. Anything else fails with EINVAL.
 */
export function literalLookup(
  hostname: string,
  _options: unknown,
  callback: (error: NodeJS.ErrnoException | null, address: string, family: number) => void,
): void {
  const family = isIP(hostname);
  if (family !== 0) return callback(null, hostname, family);
  const error: NodeJS.ErrnoException = new Error(`${hostname} is not an IP address (host names are not resolved)`);
  error.code = 'EINVAL';
  error.syscall = 'lookup';
  (error as { hostname?: string }).hostname = hostname;
  callback(error, '', 0);
}
