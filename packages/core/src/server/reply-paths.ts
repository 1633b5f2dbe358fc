import type { SourceTable } from './source-table.js';
import type { EntrySource } from './call-entry.js';
import type { RttEstimator } from '../recovery/rtt-estimator.js';
import type { PmtuProbe } from '../wire/pmtu-probe.js';
import type { PeerAddress } from '../transport/transport.js';

/**
 * What a server knows of the path to each client, for the reply fragments it
 * sends there: its RTT estimator (protocol.md §7.3 "Reply timers") and the
 * datagram size (§7.5). Clients discover their path's size (§7.5) and
 * say what they confirmed in every probe PING; the server takes it, capped
 * at what its own transport may send without IP fragmentation, and keeps it
 * in the client's source state (counted, bounded and forgotten with it,
 * §8.2). A black hole seen by a reply transfer puts the client back on the
 * base size until its next probe or report.
 */
export class ReplyPaths {
  /** Times a reply transfer's black hole sent a client back to the base size. */
  blackHoles = 0;

  constructor(
    private readonly sources: SourceTable,
    /** `maxDatagramBytes`: every path is assumed to carry it. */
    readonly baseBytes: number,
    /** The largest datagram the transport may send to `peer` unfragmented; undefined: never above the base. */
    private readonly maxFor: ((peer: PeerAddress) => number) | undefined,
  ) {}

  /**
   * The RTT estimator of the path to the address a call came from, which its
   * reply transfer samples and reads its PTO from: one per address, kept in
   * the source state (source-table.ts `rttOf`).
   */
  rttTo(source: EntrySource, now: number): RttEstimator {
    return this.sources.rttOf(source, now);
  }

  /** Records what a probe PING from `from` says of its path. */
  onProbe(probe: PmtuProbe, from: PeerAddress, pk: string, now: number): void {
    const source = this.sources.get(pk, now);
    const cap = this.maxFor === undefined ? this.baseBytes : Math.floor(this.maxFor(from));
    source.pathBytes = probe.confirmedBytes > this.baseBytes ? Math.min(probe.confirmedBytes, Math.max(cap, this.baseBytes)) : 0;
  }

  /** The datagram size for fragments to `pk`. */
  bytesFor(pk: string, now: number): number {
    const bytes = this.sources.get(pk, now).pathBytes;
    return bytes > this.baseBytes ? bytes : this.baseBytes;
  }

  /** A reply transfer to `pk` met a black hole: back to the base size. */
  blackHole(pk: string, now: number): void {
    const source = this.sources.get(pk, now);
    if (source.pathBytes === 0) return;
    source.pathBytes = 0;
    this.blackHoles++;
  }
}
