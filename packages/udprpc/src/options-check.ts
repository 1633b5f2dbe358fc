import {
  checkNumber,
  checkNumberGroup,
  checkObject,
  checkOptionalArray,
  checkOptionalFunction,
  checkOptionalNumber,
  checkOptionalObject,
  checkOptionalString,
  checkString,
  describeValue,
  type NumberFields,
} from '@udprpc/core/engine';

// The checks of this package's own options (issue 13): a TypeError for a
// value of the wrong type or shape, a RangeError for one out of range, both
// thrown by the factory itself and naming the option. What is passed on
// (client, server and socket options) the package it goes to checks.

/** The numeric fields of `DnsOptions` (srv-discovery.ts, not imported: it imports this module's parsers' users). */
interface DnsNumbers {
  timeoutMs: number;
  attempts: number;
  minTtlMs: number;
  maxTtlMs: number;
  maxBackoffMs: number;
}

const dnsFields: NumberFields<DnsNumbers> = {
  timeoutMs: { above: 0 },
  attempts: { min: 1, integer: true },
  minTtlMs: { above: 0 },
  maxTtlMs: { above: 0 },
  maxBackoffMs: { above: 0 },
};

export { checkString };

/** Checks the `dns` option of `createClient` (servers are parsed where they are used, by `parseDnsServer`). */
export function checkDnsOptions(value: unknown, name: string): void {
  const dns = checkNumberGroup(value, name, dnsFields) as Partial<DnsNumbers> & { servers?: readonly string[] };
  checkOptionalArray(dns.servers, `${name}.servers`, checkString);
  if (dns.servers?.length === 0) throw new RangeError(`${name}.servers must not be empty (omit it for the system's servers)`);
  const minTtlMs = dns.minTtlMs ?? 1;
  for (const field of ['maxTtlMs', 'maxBackoffMs'] as const) {
    const value = dns[field];
    if (value !== undefined && value < minTtlMs) throw new RangeError(`${name}.${field} must be >= ${name}.minTtlMs (${minTtlMs}), got ${value}`);
  }
}

/** The options of `createClient` this package reads itself (the rest go to `@udprpc/client`). */
export interface EndpointOptions {
  readonly url?: unknown;
  readonly urls?: unknown;
  readonly resolveIntervalMs?: unknown;
  readonly lookup?: unknown;
  readonly dns?: unknown;
  readonly socket?: unknown;
}

/** Checks the options of the `udprpc` package's `createClient` that say where the servers are. */
export function checkEndpointOptions(options: EndpointOptions): void {
  checkObject(options, 'options');
  if (options.url !== undefined) checkString(options.url, 'options.url');
  checkOptionalArray(options.urls, 'options.urls', checkString);
  if (Array.isArray(options.urls) && options.urls.length === 0) throw new RangeError('options.urls must not be empty');
  checkOptionalNumber(options.resolveIntervalMs, 'options.resolveIntervalMs', { min: 0 });
  checkOptionalFunction(options.lookup, 'options.lookup');
  checkDnsOptions(options.dns, 'options.dns');
  checkOptionalObject(options.socket, 'options.socket');
}

/**
 * Checks `clusterUrls`' arguments: a host, and `workers` ports from
 * `basePort` that all exist. `prefix` is how the caller names them
 * (`'options.'` for `startCluster`).
 */
export function checkClusterPorts(host: unknown, basePort: unknown, workers: unknown, prefix = ''): void {
  checkOptionalString(host, `${prefix}host`, true);
  checkNumber(basePort, `${prefix}basePort`, { min: 1, max: 65_535, integer: true });
  checkNumber(workers, `${prefix}workers`, { min: 1, integer: true });
  const last = (basePort as number) + (workers as number) - 1;
  if (last > 65_535) throw new RangeError(`${prefix}basePort + ${prefix}workers - 1 must be <= 65535 (one port per worker), got ${last}`);
}

/** Checks the options of `startCluster` other than the ports (those: {@link checkClusterPorts}). */
export function checkClusterOptions(options: Record<string, unknown>): void {
  checkObject(options, 'options');
  const module = options['workerModule'];
  if (!(typeof module === 'string' || module instanceof URL)) throw new TypeError(`options.workerModule must be a path or a file: URL, got ${describeValue(module)}`);
  checkOptionalArray(options['execArgv'], 'options.execArgv', checkString);
  checkOptionalObject(options['env'], 'options.env');
  checkOptionalNumber(options['startTimeoutMs'], 'options.startTimeoutMs', { above: 0 });
  checkOptionalNumber(options['stopTimeoutMs'], 'options.stopTimeoutMs', { min: 0 });
  checkOptionalFunction(options['onWorkerExit'], 'options.onWorkerExit');
}
