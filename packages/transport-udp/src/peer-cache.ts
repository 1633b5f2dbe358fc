import type { PeerAddress } from '@udprpc/core';

/** Default number of peers {@link PeerCache} remembers. */
export const DEFAULT_PEER_CACHE_SIZE = 4096;

/**
 * Interns {@link PeerAddress} objects by `address|port` (the same key as
 * core's `peerKey`), so that a busy socket hands the engine the same frozen
 * object for every datagram from a peer instead of allocating one each time;
 * it also makes `===` on peers work for the common case.
 *
 * Bounded: when full, the oldest entry is evicted (insertion order, FIFO). An
 * evicted peer simply gets a fresh, equal object next time.
 */
export class PeerCache {
  private readonly peers = new Map<string, PeerAddress>();

  /** @param maxEntries - Peers remembered at most; the least recently used goes first. */
  constructor(readonly maxEntries: number = DEFAULT_PEER_CACHE_SIZE) {
    if (!Number.isSafeInteger(maxEntries) || maxEntries < 0) {
      throw new RangeError(`PeerCache maxEntries must be a non-negative integer, got ${maxEntries}`);
    }
  }

  /** Number of cached peers. */
  private last: PeerAddress | undefined;

  /** Peers cached now. */
  get size(): number {
    return this.peers.size;
  }

  /** The cached peer for `address|port`, created (and cached) on a miss. */
  get(address: string, family: 'IPv4' | 'IPv6', port: number): PeerAddress {
    // Most datagrams come from the peer the previous one came from.
    const last = this.last;
    if (last !== undefined && last.port === port && last.address === address && last.family === family) return last;
    const peer = this.lookup(address, family, port);
    this.last = peer;
    return peer;
  }

  private lookup(address: string, family: 'IPv4' | 'IPv6', port: number): PeerAddress {
    const key = `${address}|${port}`;
    const hit = this.peers.get(key);
    if (hit !== undefined && hit.family === family) return hit;
    const peer: PeerAddress = Object.freeze({ address, family, port });
    if (this.maxEntries === 0) return peer;
    if (hit === undefined && this.peers.size >= this.maxEntries) {
      const oldest = this.peers.keys().next();
      if (oldest.done !== true) this.peers.delete(oldest.value);
    }
    this.peers.set(key, peer);
    return peer;
  }

  /** Forgets every peer. */
  clear(): void {
    this.peers.clear();
    this.last = undefined;
  }
}
