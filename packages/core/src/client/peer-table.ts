import type { LossTracked } from '../recovery/call-loss-detector.js';
import { PeerState } from '../flowcontrol/peer-state.js';
import type { RetryPolicy } from '../recovery/retry-policy.js';
import { peerKey, type PeerAddress } from '../transport/transport.js';

/**
 * The servers a client talks to, by address and port: each one's
 * {@link PeerState} (RTT estimate, calls in flight and queued, pushback).
 * Bounded: beyond `maxPeers`, an idle peer is forgotten to make room; a peer
 * with calls in flight never is (those calls bound the table).
 */
export class PeerTable<C extends LossTracked<C>> {
  private readonly peers = new Map<string, PeerState<C>>();
  private lastAddress: PeerAddress | undefined;
  private lastPeer: PeerState<C> | undefined;

  constructor(
    private readonly policy: RetryPolicy,
    private readonly maxPeers: number,
  ) {}

  /** The peer at `address`, created if new. */
  of(address: PeerAddress): PeerState<C> {
    // Calls to one server reuse one PeerAddress object: skip the key string and
    // the map lookup when it is the same object as last time.
    if (address === this.lastAddress && this.lastPeer !== undefined && this.peers.get(this.lastPeer.key) === this.lastPeer) {
      return this.lastPeer;
    }
    const key = peerKey(address);
    let peer = this.peers.get(key);
    if (peer === undefined) {
      if (this.peers.size >= this.maxPeers) this.evictIdle();
      peer = new PeerState(this.policy, key);
      this.peers.set(key, peer);
    }
    this.lastAddress = address;
    this.lastPeer = peer;
    return peer;
  }

  /** Every peer known. */
  values(): IterableIterator<PeerState<C>> {
    return this.peers.values();
  }

  /** The peer at `address`, if known. */
  get(address: PeerAddress): PeerState<C> | undefined {
    return this.peers.get(peerKey(address));
  }

  // Forgets the least recently created peer with nothing in flight, among the
  // first 64 (the scan stays O(1); the table may then exceed its bound a little).
  private evictIdle(): void {
    let scanned = 0;
    for (const [key, peer] of this.peers) {
      if (peer.idle) {
        this.peers.delete(key);
        return;
      }
      if (++scanned >= 64) return;
    }
  }
}
