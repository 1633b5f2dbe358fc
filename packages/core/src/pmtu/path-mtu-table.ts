import { TimerHeap } from '../timer/timer-heap.js';
import type { PeerAddress } from '../transport/transport.js';
import { encodePmtuProbe, MIN_PMTU_PROBE_BYTES } from '../wire/pmtu-probe.js';
import { HEADER_BYTES } from '../wire/frame-header.js';
import { FRAGMENT_EXT_BYTES, type FragmentInfo } from '../wire/frame.js';
import { DEFAULT_PROBE_SIZES, MIN_PROBE_TIMEOUT_MS, PathMtu, RAISE_INTERVAL_MS, type PathMtuConfig } from './path-mtu.js';

/**
 * Path MTU discovery options of an engine (protocol.md §7.5). Discovery runs
 * only when the engine is given these; a fixed `maxDatagramBytes` chosen by
 * the user turns it off.
 */
export interface PathMtuOptions {
  /**
   * The largest datagram that may be sent to `peer` without IP fragmentation,
   * as far as the transport knows (a loopback peer: 65,507; otherwise the
   * local link's MTU less the IP and UDP headers). No probe is larger.
   */
  maxDatagramBytesFor(peer: PeerAddress): number;
  /** Sizes to probe, ascending; default {@link DEFAULT_PROBE_SIZES}. */
  probeSizes?: readonly number[];
  /** Delay from the end of one search to the next; default 600 s. */
  raiseIntervalMs?: number;
}

/** What discovery did, for `stats()`. */
export interface PathMtuCounts {
  /** Probes sent, reports included. */
  probesSent: number;
  /** Probes answered. */
  probesAcked: number;
  /** Probes not answered in time (no loss signal for anything else). */
  probesLost: number;
  /** Times a black hole sent a peer back to the base size. */
  blackHoles: number;
}

/** The first wait between two early re-confirmations toward one server (it doubles). */
export const RECONFIRM_MIN_MS = 1000;

/** Peers remembered at most; the oldest is forgotten first (it then starts again from the base size). */
const MAX_PEERS = 4096;

/**
 * A client's path MTU discovery toward every server it calls: one
 * {@link PathMtu} per address and port, their probe and raise timers on one
 * heap (the engine arms its one timer on {@link nextTimerAt}; the raise
 * timer is checked when the peer is next used), and the probes
 * sent through the engine's send function. Probes use no retry-budget token
 * and are never coalesced (each is padded to fill its datagram).
 */
export class PathMtuTable implements PathMtuCounts {
  probesSent = 0;
  probesAcked = 0;
  probesLost = 0;
  blackHoles = 0;
  /** Searches started early because a server sent smaller reply fragments than the path carries. */
  reconfirms = 0;
  private readonly peers = new Map<string, { path: PathMtu; to: PeerAddress }>();
  private readonly timers = new TimerHeap<PathMtu>();
  private readonly probeSizes: readonly number[];
  private readonly raiseIntervalMs: number;
  private nextId = 1;

  constructor(
    private readonly send: (bytes: Uint8Array, to: PeerAddress) => void,
    private readonly baseBytes: number,
    private readonly options: PathMtuOptions,
    /** The session probes are sent in. */
    private readonly session: () => number,
    /** The peer's retransmission timeout (protocol.md §7.1), for the probe timer. */
    private readonly rtoMsOf: (to: PeerAddress) => number,
  ) {
    this.probeSizes = options.probeSizes ?? DEFAULT_PROBE_SIZES;
    this.raiseIntervalMs = options.raiseIntervalMs ?? RAISE_INTERVAL_MS;
  }

  /**
   * The confirmed datagram size toward `to` (key `key`). The first use of a
   * peer starts its search; until a probe is answered it is the base size.
   */
  bytesFor(to: PeerAddress, key: string, now: number): number {
    const known = this.peers.get(key);
    if (known !== undefined) {
      // The raise timer (RFC 8899 PMTU_RAISE_TIMER) is checked on use rather
      // than armed: a search matters only to traffic, and an armed timer would
      // keep an idle process alive.
      if (known.path.phase === 'complete' && now >= known.path.raiseAt) {
        known.path.raise();
        this.advance(known.path, to, now);
      }
      return known.path.bytes;
    }
    const max = Math.max(this.baseBytes, Math.floor(this.options.maxDatagramBytesFor(to)));
    const sizes = this.probeSizes.filter((s) => s > this.baseBytes && s < max);
    if (max > this.baseBytes) sizes.push(max);
    const config: PathMtuConfig = { baseBytes: this.baseBytes, probeSizes: sizes, raiseIntervalMs: this.raiseIntervalMs };
    const path = new PathMtu(key, config);
    if (this.peers.size >= MAX_PEERS) this.forgetOldest();
    this.peers.set(key, { path, to });
    this.advance(path, to, now);
    return path.bytes;
  }

  /** The confirmed size toward `key`, without starting anything (the base size for an unknown peer). */
  peek(key: string): number {
    return this.peers.get(key)?.path.bytes ?? this.baseBytes;
  }

  /**
   * A probe PONG from `key` answering probe `id` for `bytes`; returns whether
   * it answered the outstanding probe (otherwise the caller drops it).
   */
  onAnswer(key: string, id: number, bytes: number, now: number): boolean {
    const peer = this.peers.get(key);
    if (peer === undefined || !peer.path.onAnswer(id, bytes)) return false;
    this.probesAcked++;
    this.advance(peer.path, peer.to, now);
    return true;
  }

  /**
   * A transfer toward `key` in datagrams above the base size stopped getting
   * through: back to the base size, and a new search.
   */
  blackHole(key: string, now: number): void {
    const peer = this.peers.get(key);
    if (peer === undefined || peer.path.bytes <= this.baseBytes) return;
    this.blackHoles++;
    peer.path.blackHole();
    this.advance(peer.path, peer.to, now);
  }

  /**
   * A reply fragment from `key`. A server that cuts its replies smaller than
   * the size confirmed toward it (after a black hole of its own, or a lost
   * report) is told again: the confirmed size is probed again at once, its
   * probe carrying that size (§7.5). At most once per `reconfirmMs`, which
   * doubles each time (up to the raise interval) while the server stays
   * behind, so a server that never follows (a fixed `maxDatagramBytes`)
   * costs a few probes an hour.
   */
  onReplyFragment(key: string, f: FragmentInfo, now: number): void {
    const peer = this.peers.get(key);
    if (peer === undefined || f.totalBytes <= f.fragmentBytes) return;
    const path = peer.path;
    if (HEADER_BYTES + FRAGMENT_EXT_BYTES + f.fragmentBytes >= Math.min(path.bytes, HEADER_BYTES + FRAGMENT_EXT_BYTES + 0xffff)) {
      path.reconfirmMs = RECONFIRM_MIN_MS;
      return;
    }
    if (path.phase !== 'complete' || now < path.reconfirmAt) return;
    path.reconfirmAt = now + path.reconfirmMs;
    path.reconfirmMs = Math.min(this.raiseIntervalMs, 2 * path.reconfirmMs);
    this.reconfirms++;
    path.raise();
    this.advance(path, peer.to, now);
  }

  /** When {@link onTimer} next needs to run (a probe's timeout), or undefined. */
  nextTimerAt(): number | undefined {
    return this.timers.peek()?.timerAt;
  }

  /** Fires the probe timers due at `now`. */
  onTimer(now: number): void {
    for (let path = this.timers.popDue(now); path !== undefined; path = this.timers.popDue(now)) {
      const peer = this.peers.get(path.key);
      if (peer === undefined) continue;
      if (path.probe !== undefined) {
        this.probesLost++;
        if (path.onProbeLost() === 'black-hole') this.blackHoles++;
      }
      this.advance(path, peer.to, now);
    }
  }

  // Sends the next probe and times it, or arms the raise timer once the search is over.
  private advance(path: PathMtu, to: PeerAddress, now: number): void {
    const next = path.nextProbe();
    if (next === undefined) {
      this.timers.delete(path);
      path.raiseAt = now + this.raiseIntervalMs;
      return;
    }
    const id = this.nextId;
    this.nextId = (this.nextId + 1) >>> 0 || 1;
    path.probe = { id, ...next };
    this.probesSent++;
    this.send(encodePmtuProbe({ session: this.session(), id, probeBytes: Math.max(MIN_PMTU_PROBE_BYTES, next.bytes), confirmedBytes: next.confirmedBytes }), to);
    this.timers.set(path, now + Math.max(MIN_PROBE_TIMEOUT_MS, 2 * this.rtoMsOf(to)));
  }

  private forgetOldest(): void {
    for (const [key, peer] of this.peers) {
      this.timers.delete(peer.path);
      this.peers.delete(key);
      return;
    }
  }
}
