import { getServers } from 'node:dns';
import type { Client } from '@udprpc/client';
import { RpcError, type Clock } from '@udprpc/core';
import { DnsQuerier, parseDnsServer, zeroDnsStats, type DnsStats } from './dns-query.js';
import { resolveSrv } from './srv-lookup.js';
import { defaultSrvTiming, SrvWatcher } from './srv-watcher.js';
import type { WeightedPeer } from '@udprpc/client';

/** How `udp+srv://` URLs are resolved: the `dns` option of `createClient`. */
export interface DnsOptions {
  /**
   * DNS servers to ask, as `'10.0.0.2'`, `'10.0.0.2:5353'`, `'[::1]:5353'`
   * (port 53 by default), tried in turn. Default: the system's, from
   * `dns.getServers()` (/etc/resolv.conf).
   */
  servers?: readonly string[];
  /** How long to wait for each response, in ms (1000). */
  timeoutMs?: number;
  /** Attempts per question, over the servers in turn (3). */
  attempts?: number;
  /** Floor of the re-resolution delay, in ms: a smaller TTL, 0 included, counts as this (1000). */
  minTtlMs?: number;
  /** Ceiling of the re-resolution delay, in ms: a longer TTL still re-resolves this often (300 000). */
  maxTtlMs?: number;
  /** Largest retry delay after failed rounds, in ms (30 000; jittered ×[0.8, 1.2)). */
  maxBackoffMs?: number;
}

/**
 * Defaults of the per-query fields of {@link DnsOptions}: 1 s per attempt (a
 * resolver on the LAN or in the cluster answers in milliseconds, or has lost
 * the query), 3 attempts over the servers in turn (so a first round fails
 * after 3 s at most).
 */
export const defaultDnsQueryOptions: Readonly<Required<Pick<DnsOptions, 'timeoutMs' | 'attempts'>>> = Object.freeze({ timeoutMs: 1000, attempts: 3 });

const statsOf = new WeakMap<Client, DnsStats>();

/**
 * DNS discovery counters of a client made with `udp+srv://` URLs (a copy),
 * or undefined for any other client.
 */
export function srvDiscoveryStats(client: Client): DnsStats | undefined {
  const stats = statsOf.get(client);
  return stats === undefined ? undefined : { ...stats, drops: { ...stats.drops } };
}

/** @internal Ties a client to its counters for {@link srvDiscoveryStats}. */
export function registerDnsStats(client: Client, stats: DnsStats): void {
  statsOf.set(client, stats);
}

/** What {@link createSrvWatchers} reports to. */
export interface SrvWatcherHooks {
  onChange(index: number, peers: WeightedPeer[]): void;
  onError(error: RpcError): void;
}

/** One {@link SrvWatcher} per SRV name, sharing one querier and one set of counters. */
export function createSrvWatchers(
  names: readonly string[],
  dns: DnsOptions,
  clock: Clock,
  random: () => number,
  hooks: SrvWatcherHooks,
): { watchers: SrvWatcher[]; stats: DnsStats } {
  const stats = zeroDnsStats();
  const serverTexts = dns.servers ?? getServers();
  if (serverTexts.length === 0) throw new RangeError('options.dns.servers: no DNS server for udp+srv:// (the system lists none; set options.dns.servers)');
  const querier = new DnsQuerier({
    servers: serverTexts.map(parseDnsServer),
    clock,
    random,
    timeoutMs: dns.timeoutMs ?? defaultDnsQueryOptions.timeoutMs,
    attempts: dns.attempts ?? defaultDnsQueryOptions.attempts,
    stats,
  });
  const timing = {
    minTtlMs: dns.minTtlMs ?? defaultSrvTiming.minTtlMs,
    maxTtlMs: dns.maxTtlMs ?? defaultSrvTiming.maxTtlMs,
    maxBackoffMs: dns.maxBackoffMs ?? defaultSrvTiming.maxBackoffMs,
  };
  const watchers = names.map(
    (name, index) =>
      new SrvWatcher({
        name,
        resolve: (n, ref) => resolveSrv(querier, n, ref),
        clock,
        random,
        timing,
        stats,
        onChange: (peers) => hooks.onChange(index, peers),
        onError: hooks.onError,
      }),
  );
  return { watchers, stats };
}
