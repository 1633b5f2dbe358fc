import { checkString } from './options-check.js';

/** A parsed `udp+srv://` URL: the DNS SRV name to discover endpoints from. */
export interface SrvUrl {
  /** The SRV owner name, lower-cased, without a trailing dot: `_calc._udp.example.internal`. */
  readonly name: string;
}

/** Whether `url` uses the `udp+srv:` scheme (case-insensitive). */
export function isSrvUrl(url: string): boolean {
  return /^udp\+srv:/i.test(url);
}

/**
 * Parses `udp+srv://_service._udp.domain`: the name whose SRV records
 * (RFC 2782) list the endpoints. The port comes from the records, so the URL
 * has none; nor a path, query, fragment or user. `option`, when given, is
 * the option the URL came from (`options.urls[1]`): error messages start with it.
 *
 * @throws TypeError naming what is wrong: the URL is not a string, not a
 * URL, has another scheme, a port, a user, path, query or fragment, or a
 * host that is not a DNS name.
 */
export function parseSrvUrl(url: string, option?: string): SrvUrl {
  checkString(url, option ?? 'url');
  const at = option === undefined ? '' : `${option}: `;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new TypeError(`${at}not a URL: ${JSON.stringify(url)} (expected udp+srv://_service._udp.domain)`);
  }
  if (parsed.protocol !== 'udp+srv:') throw new TypeError(`${at}unsupported scheme ${parsed.protocol} in ${url} (expected udp+srv://)`);
  if (parsed.port !== '') throw new TypeError(`${at}${url}: a udp+srv:// URL has no port (the SRV records give it)`);
  if (parsed.username !== '' || parsed.password !== '' || (parsed.pathname !== '' && parsed.pathname !== '/') || parsed.search !== '' || parsed.hash !== '') {
    throw new TypeError(`${at}${url}: a udp+srv:// URL is only a name (no user, path, query or fragment)`);
  }
  const name = parsed.hostname.replace(/\.$/, '').toLowerCase();
  const labels = name.split('.');
  if (name.length === 0 || name.length > 253 || labels.some((l) => l.length === 0 || l.length > 63 || !/^[a-z0-9_-]+$/.test(l))) {
    throw new TypeError(`${at}${url}: ${JSON.stringify(parsed.hostname)} is not a DNS name (labels of 1 to 63 letters, digits, '-' or '_'; 253 characters at most)`);
  }
  return { name };
}
