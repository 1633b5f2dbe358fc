import { isIP } from 'node:net';
import { RpcError } from '@udprpc/core';

/** A parsed `udp://host:port` endpoint. */
export interface Endpoint {
  /** Host name or IP literal (IPv6 without brackets). */
  host: string;
  /** Port, 1 to 65535. */
  port: number;
  /** 4 or 6 for IP literals, 0 for host names that still need resolving. */
  ipVersion: 0 | 4 | 6;
}

/**
 * Parses `udp://127.0.0.1:4000`, `udp://[::1]:4000` or `udp://name:4000`.
 * Throws an RpcError (INVALID_ARGUMENT) naming what is wrong.
 */
export function parseEndpoint(url: string): Endpoint {
  checkPortText(url);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new RpcError('INVALID_ARGUMENT', `not a URL: ${JSON.stringify(url)} (expected udp://host:port)`);
  }
  if (parsed.protocol !== 'udp:') {
    throw new RpcError('INVALID_ARGUMENT', `unsupported scheme ${parsed.protocol} in ${url} (expected udp://host:port)`);
  }
  const port = Number(parsed.port);
  if (parsed.port === '' || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new RpcError('INVALID_ARGUMENT', `missing or invalid port in ${url}`);
  }
  const host = parsed.hostname.startsWith('[') ? parsed.hostname.slice(1, -1) : parsed.hostname;
  if (host === '') throw new RpcError('INVALID_ARGUMENT', `missing host in ${url}`);
  const version = isIP(host);
  return { host, port, ipVersion: version === 4 ? 4 : version === 6 ? 6 : 0 };
}

/**
 * WHATWG URL parsing rejects a port above 65535 or a negative one as "not a
 * URL"; say what is actually wrong instead.
 */
function checkPortText(url: string): void {
  const port = /^udp:\/\/(?:\[[^\]]*\]|[^/?#@:[\]]*)(?::([^/?#]*))?(?:[/?#]|$)/i.exec(url)?.[1];
  if (port === undefined || port === '') return;
  if (!/^-?\d+$/.test(port)) throw new RpcError('INVALID_ARGUMENT', `port ${JSON.stringify(port)} in ${url} is not a number (expected udp://host:port)`);
  const n = Number(port);
  if (n < 1 || n > 65535) throw new RpcError('INVALID_ARGUMENT', `port ${port} in ${url} is out of range: expected 1 to 65535`);
}
