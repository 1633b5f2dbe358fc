import { isIP } from 'node:net';
import { checkString } from './options-check.js';

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
 * `name`, when given, is the option the URL came from (`options.url`):
 * error messages start with it.
 *
 * @throws TypeError naming what is wrong for a URL of the wrong shape (not
 * a string, not a URL, another scheme, no host, no port or a port that is
 * not a number), RangeError for a port out of 1 to 65535.
 */
export function parseEndpoint(url: string, name?: string): Endpoint {
  checkString(url, name ?? 'url');
  const at = name === undefined ? '' : `${name}: `;
  checkPortText(url, at);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new TypeError(`${at}not a URL: ${JSON.stringify(url)} (expected udp://host:port)`);
  }
  if (parsed.protocol !== 'udp:') {
    throw new TypeError(`${at}unsupported scheme ${parsed.protocol} in ${url} (expected udp://host:port)`);
  }
  const port = Number(parsed.port);
  if (parsed.port === '' || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new TypeError(`${at}missing or invalid port in ${url} (expected udp://host:port)`);
  }
  const host = parsed.hostname.startsWith('[') ? parsed.hostname.slice(1, -1) : parsed.hostname;
  if (host === '') throw new TypeError(`${at}missing host in ${url} (expected udp://host:port)`);
  const version = isIP(host);
  return { host, port, ipVersion: version === 4 ? 4 : version === 6 ? 6 : 0 };
}

/**
 * WHATWG URL parsing rejects a port above 65535 or a negative one as "not a
 * URL"; say what is actually wrong instead.
 */
function checkPortText(url: string, at: string): void {
  const port = /^udp:\/\/(?:\[[^\]]*\]|[^/?#@:[\]]*)(?::([^/?#]*))?(?:[/?#]|$)/i.exec(url)?.[1];
  if (port === undefined || port === '') return;
  if (!/^-?\d+$/.test(port)) throw new TypeError(`${at}port ${JSON.stringify(port)} in ${url} is not a number (expected udp://host:port)`);
  const n = Number(port);
  if (n < 1 || n > 65535) throw new RangeError(`${at}port ${port} in ${url} is out of range: expected 1 to 65535`);
}
