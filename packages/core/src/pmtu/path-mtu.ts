import type { Timed } from '../timer/timer-heap.js';

/**
 * Datagram sizes probed above the base, smallest first (protocol.md §7.5):
 * Ethernet's 1500-byte MTU, a 9000-byte jumbo frame (less 48 bytes of IPv6
 * and UDP headers, so both families fit), and the largest UDP payload over
 * IPv4 (loopback, whose MTU is 64 KiB).
 */
export const DEFAULT_PROBE_SIZES: readonly number[] = Object.freeze([1472, 8952, 65_507]);
/** Probes of one size lost in a row before the search gives that size up (RFC 8899 MAX_PROBES). */
export const MAX_PROBES = 3;
/** A probe not answered within max(this, 2 × the peer's RTO) is lost. */
export const MIN_PROBE_TIMEOUT_MS = 100;
/** After a search ends, the next one starts this much later (RFC 8899 PMTU_RAISE_TIMER, 600 s). */
export const RAISE_INTERVAL_MS = 600_000;

/** How one peer's discovery is set up. */
export interface PathMtuConfig {
  /** The size every path is assumed to carry (BASE_PLPMTU): the engine's `maxDatagramBytes`. */
  baseBytes: number;
  /** The sizes to probe, ascending, each above `baseBytes`. */
  probeSizes: readonly number[];
  /** Delay from the end of a search to the next (PMTU raise timer). */
  raiseIntervalMs: number;
}

/** A probe in flight. */
export interface OutstandingProbe {
  id: number;
  /** Size of the probe datagram. */
  bytes: number;
  /** The confirmed size it tells the peer. */
  confirmedBytes: number;
}

/** Where one peer's search stands (RFC 8899 §5.2 states, less DISABLED and ERROR). */
export type PathMtuPhase = 'searching' | 'reporting' | 'complete';

/**
 * Datagram Packetization Layer PMTU discovery (RFC 8899) toward one peer,
 * sans-io: the sizes {@link DEFAULT_PROBE_SIZES} are probed in turn, each
 * confirmed only by the peer's answer to its probe (a padded PONG of the same
 * size, so both directions carry it). A lost probe only counts toward giving
 * its size up: it is no loss signal for calls and delays none. When the
 * search ends, a small *report* tells the peer the confirmed size, which the
 * peer may then use for the datagrams it sends back. A black hole (a transfer
 * at the confirmed size that stops progressing) drops the size to the base
 * at once and searches again. {@link PathMtuTable} sends and times the probes.
 */
export class PathMtu implements Timed {
  timerAt = 0;
  heapIndex = -1;
  /** The confirmed size (PLPMTU): what transfers toward this peer may use. */
  bytes: number;
  /** Where the search stands. */
  phase: PathMtuPhase = 'searching';
  /** When the next search may start, once this one is complete. */
  raiseAt = Infinity;
  /** When a server seen behind may next be told again (PathMtuTable.onReplyFragment), and the wait after that. */
  reconfirmAt = 0;
  /** The wait after the next early re-confirmation (doubles while the server stays behind). */
  reconfirmMs = 1000;
  /** The probe waiting for its answer, if any. */
  probe: OutstandingProbe | undefined;
  /** Index in `probeSizes` of the size being probed (or next to probe). */
  private next = 0;
  /** Probes of the current size lost in a row. */
  private failures = 0;
  /**
   * The confirmed size the peer is known to have heard (-1: unknown, after a
   * black hole). A new peer has heard nothing, so it uses the base size: 0.
   */
  private heard = 0;

  constructor(
    /** The peer's key (address and port). */
    readonly key: string,
    private readonly config: PathMtuConfig,
  ) {
    this.bytes = config.baseBytes;
  }

  /** The probe to send next (the caller numbers and sends it), or undefined when the search is over. */
  nextProbe(): Omit<OutstandingProbe, 'id'> | undefined {
    const confirmedBytes = this.bytes > this.config.baseBytes ? this.bytes : 0;
    if (this.phase === 'searching') {
      const size = this.config.probeSizes[this.next];
      // A re-confirmation of the confirmed size claims nothing until it is
      // answered: the peer falls back to the base size meanwhile, rather
      // than trust a size that may just have stopped working.
      if (size !== undefined) return { bytes: size, confirmedBytes: size <= this.bytes ? 0 : confirmedBytes };
      this.phase = 'reporting';
    }
    if (this.phase === 'reporting') {
      if (this.heard !== confirmedBytes) return { bytes: 0, confirmedBytes };
      this.phase = 'complete';
    }
    return undefined;
  }

  /** The answer to probe `id`, confirming `bytes`; returns whether it was the outstanding one. */
  onAnswer(id: number, bytes: number): boolean {
    const p = this.probe;
    if (p === undefined || p.id !== id || (p.bytes !== 0 && bytes < p.bytes)) return false;
    this.probe = undefined;
    this.failures = 0;
    this.heard = p.confirmedBytes;
    if (p.bytes !== 0 && this.phase === 'searching') {
      this.bytes = Math.max(this.bytes, p.bytes);
      this.next++;
    }
    return true;
  }

  /**
   * The outstanding probe timed out: `retry` (probe again), `gave-up` (its
   * size is given up, or the report), or `black-hole` when it re-confirmed
   * the confirmed size and that failed too (the peer is back at the base).
   */
  onProbeLost(): 'retry' | 'gave-up' | 'black-hole' {
    const p = this.probe;
    this.probe = undefined;
    if (p === undefined || ++this.failures < MAX_PROBES) return 'retry';
    this.failures = 0;
    if (p.bytes === this.bytes && this.bytes > this.config.baseBytes) {
      this.blackHole();
      return 'black-hole';
    }
    // RFC 8899 §5.3.1: MAX_PROBES lost ends the search at the confirmed size;
    // a lost report only means the peer keeps a smaller size.
    if (this.phase === 'searching') this.phase = 'reporting';
    else this.phase = 'complete';
    return 'gave-up';
  }

  /**
   * The raise timer fired: search again, starting with the confirmed size
   * itself (RFC 8899's confirmation of the PLPMTU: a path that shrank is
   * found even when no transfer runs into it), then the larger ones.
   */
  raise(): void {
    this.next = this.config.probeSizes.findIndex((s) => s >= this.bytes);
    if (this.next < 0) this.next = this.config.probeSizes.length;
    this.failures = 0;
    this.phase = 'searching';
  }

  /**
   * A black hole (RFC 8899 §4.3): datagrams of the confirmed size stopped
   * getting through. Back to the base size at once, and search again.
   */
  blackHole(): void {
    this.bytes = this.config.baseBytes;
    this.probe = undefined;
    this.heard = -1;
    this.next = 0;
    this.failures = 0;
    this.phase = 'searching';
  }
}
