import type { WeightedPeer } from '@udprpc/client';
import { dnsError, type DnsFailure, type DnsQuerier } from './dns-query.js';
import { addressesOf, smallestTtl, srvPeers, srvRecordsOf, type SrvRecord, type TargetAddress } from './srv-records.js';

/** One successful SRV resolution. */
export interface SrvResolution {
  /** The endpoints, sorted by priority, target and port. */
  readonly peers: WeightedPeer[];
  /** The smallest TTL of the records used, in ms (before the floor and ceiling). */
  readonly ttlMs: number;
}

/** SRV records used from one answer at most; also bounds the A/AAAA look-ups of one round. */
export const MAX_SRV_TARGETS = 256;
/** A/AAAA look-ups in flight at once during one round. */
export const MAX_PARALLEL_ADDRESS_LOOKUPS = 8;

/**
 * Resolves `name` to its SRV records, then each target to its addresses:
 * from the response's additional section when the server put them there
 * (Kubernetes' CoreDNS and Consul do), otherwise by an A query, then an
 * AAAA query if the target has no A record. A target that does not exist
 * or has no address is left out; a look-up that fails for any other reason
 * (timeout, SERVFAIL) fails the whole round, so that a slow resolver never
 * shrinks the set. Rejects with UNAVAILABLE (`details.dns`:
 * {@link DnsFailure}).
 */
export async function resolveSrv(querier: DnsQuerier, name: string, ref: boolean): Promise<SrvResolution> {
  const response = await querier.query(name, 'SRV', ref);
  const records = srvRecordsOf(response, name, MAX_SRV_TARGETS);
  if (records.length === 0) throw dnsError('no-records', `DNS SRV ${name}: no SRV records`);
  const addresses = new Map<string, TargetAddress[]>();
  const missing: string[] = [];
  for (const r of records) {
    const key = r.target.toLowerCase();
    if (addresses.has(key)) continue;
    const given = addressesOf(response.additionals, r.target);
    addresses.set(key, given);
    if (given.length === 0) missing.push(r.target);
  }
  await forEachLimited(missing, MAX_PARALLEL_ADDRESS_LOOKUPS, async (target) => {
    addresses.set(target.toLowerCase(), await lookupTarget(querier, target, ref));
  });
  const peers = srvPeers(records, addresses);
  if (peers.length === 0) throw dnsError('no-addresses', `DNS SRV ${name}: none of its ${records.length} target(s) has an A/AAAA record`);
  return { peers, ttlMs: smallestTtl(usedRecords(records, addresses), addresses) * 1000 };
}

async function lookupTarget(querier: DnsQuerier, target: string, ref: boolean): Promise<TargetAddress[]> {
  for (const type of ['A', 'AAAA'] as const) {
    try {
      const found = addressesOf((await querier.query(target, type, ref)).answers, target);
      if (found.length > 0) return found;
    } catch (error) {
      if ((error as { details?: { dns?: DnsFailure } }).details?.dns === 'nxdomain') return [];
      throw error;
    }
  }
  return [];
}

// Records whose target has no address are not used, so their TTL does not count.
function usedRecords(records: readonly SrvRecord[], addresses: ReadonlyMap<string, readonly TargetAddress[]>): SrvRecord[] {
  return records.filter((r) => (addresses.get(r.target.toLowerCase())?.length ?? 0) > 0);
}

async function forEachLimited<T>(items: readonly T[], limit: number, run: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await run(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
