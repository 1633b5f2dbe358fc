import type { WeightedPeer } from '@udprpc/client';
import { sameName, type DnsRecord, type DnsResponse } from './dns-query.js';

/** One SRV record (RFC 2782) as the discovery uses it. */
export interface SrvRecord {
  /** Lower is preferred. */
  readonly priority: number;
  /** Share within its priority. */
  readonly weight: number;
  /** The UDP port of the service on `target`. */
  readonly port: number;
  /** The host name to resolve to A/AAAA records. */
  readonly target: string;
  /** Seconds the record may be cached. */
  readonly ttl: number;
}

/** An A or AAAA record of an SRV target. */
export interface TargetAddress {
  /** The IP literal. */
  readonly address: string;
  /** 4 or 6. */
  readonly family: 4 | 6;
  /** Seconds the record may be cached. */
  readonly ttl: number;
}

/**
 * SRV records of `name` in a response's answer section, in answer order,
 * at most `max` (a response cannot carry more than about 200 in 4096
 * bytes; the cap bounds the A/AAAA look-ups that follow). An answer of one
 * record with target `.` ("service decidedly not available", RFC 2782)
 * gives none.
 */
export function srvRecordsOf(response: DnsResponse, name: string, max: number): SrvRecord[] {
  const records: SrvRecord[] = [];
  for (const a of response.answers) {
    if (a.type !== 'SRV' || !sameName(a.name, name)) continue;
    if (records.length >= max) break;
    records.push({ priority: a.data.priority, weight: a.data.weight, port: a.data.port, target: a.data.target, ttl: a.ttl });
  }
  if (records.length === 1 && (records[0]!.target === '.' || records[0]!.target === '')) return [];
  return records.filter((r) => r.port >= 1 && r.target !== '.' && r.target !== '');
}

/** A and AAAA records of `target` in `answers` (an answer or additional section). */
export function addressesOf(records: readonly DnsRecord[], target: string): TargetAddress[] {
  const found: TargetAddress[] = [];
  for (const a of records) {
    if ((a.type === 'A' || a.type === 'AAAA') && sameName(a.name, target)) {
      found.push({ address: a.data, family: a.type === 'A' ? 4 : 6, ttl: a.ttl });
    }
  }
  return found;
}

/**
 * The endpoints of an SRV answer: one per (target, port), with the record's
 * priority and weight, on one address of the target: its first IPv4
 * address in text order if it has any, else its first IPv6 address, so that a target
 * publishing both families is not counted twice in the weights and the
 * choice does not move when a server rotates its record order. Records
 * whose target has no address are left out. When two records name the same
 * target and port, the first (lowest priority) wins. Sorted by priority,
 * then target, then port, so the list is stable across re-resolutions.
 */
export function srvPeers(records: readonly SrvRecord[], addresses: ReadonlyMap<string, readonly TargetAddress[]>): WeightedPeer[] {
  const sorted = [...records].sort(
    (a, b) => a.priority - b.priority || compare(a.target.toLowerCase(), b.target.toLowerCase()) || a.port - b.port,
  );
  const seen = new Set<string>();
  const peers: WeightedPeer[] = [];
  for (const r of sorted) {
    const chosen = pickAddress(addresses.get(r.target.toLowerCase()) ?? []);
    if (chosen === undefined) continue;
    const key = `${chosen.address}|${r.port}`;
    if (seen.has(key)) continue;
    seen.add(key);
    peers.push({ address: chosen.address, family: chosen.family === 6 ? 'IPv6' : 'IPv4', port: r.port, priority: r.priority, weight: r.weight });
  }
  return peers;
}

/** The smallest TTL, in seconds, of the records used (Infinity when none). */
export function smallestTtl(records: readonly SrvRecord[], addresses: ReadonlyMap<string, readonly TargetAddress[]>): number {
  let ttl = Infinity;
  for (const r of records) {
    ttl = Math.min(ttl, r.ttl);
    for (const a of addresses.get(r.target.toLowerCase()) ?? []) ttl = Math.min(ttl, a.ttl);
  }
  return ttl;
}

function pickAddress(list: readonly TargetAddress[]): TargetAddress | undefined {
  const v4 = list.filter((a) => a.family === 4);
  const pool = v4.length > 0 ? v4 : list;
  let best: TargetAddress | undefined;
  for (const a of pool) if (best === undefined || compare(a.address, best.address) < 0) best = a;
  return best;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
