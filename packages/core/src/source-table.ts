import { BATCH_ENTRY_BYTES, HEADER_BYTES } from './frame.js';
import type { SessionSource, SessionState } from './session-state.js';

/**
 * Per-source state a server keeps about the addresses that send to it
 * (protocol.md §8.2–8.3): a token bucket for rate limiting and the byte
 * counts behind anti-amplification. The table is bounded; the least recently
 * seen source is forgotten first, and a forgotten source simply starts over
 * (unvalidated, with a full bucket).
 */

/** Limits on what one source address may make the server do. */
export interface SourceLimits {
  /** Datagrams per second accepted from one address. 100,000. */
  ratePerSecond: number;
  /** Bucket size: datagrams accepted in a burst. 100,000. */
  rateBurst: number;
  /**
   * Until an address is validated, bytes sent to it stay below this multiple
   * of the bytes received from it (QUIC's factor, RFC 9000 §8.1). 3. Set to
   * Infinity to disable anti-amplification.
   */
  amplificationFactor: number;
  /** Addresses remembered. 65,536 (about 6 MiB). */
  maxSources: number;
}

/** Defaults; see each field. */
export const defaultSourceLimits: Readonly<SourceLimits> = Object.freeze({
  ratePerSecond: 100_000,
  rateBurst: 100_000,
  amplificationFactor: 3,
  maxSources: 65_536,
});

/** What is known about one source address. */
export interface SourceState extends SessionSource {
  tokens: number;
  refilledAt: number;
  bytesIn: number;
  bytesOut: number;
  validated: boolean;
  touchedAt: number;
  /** A datagram arrived since the last address-validation challenge: one more may go. */
  mayChallenge: boolean;
  /**
   * When the server last lost dedup state for this address (a reply evicted by
   * the byte cap, a session pushed out): retransmissions from it are refused
   * for a while rather than risk running a call twice (protocol.md §6.3).
   */
  lostStateAt: number;
  /** Client sessions seen from this address, by session number. */
  readonly sessions: Map<number, SessionState>;
}

/** A BATCH header plus one length prefix (protocol.md §3.4). */
const FRAMING_ALLOWANCE = HEADER_BYTES + BATCH_ENTRY_BYTES;

export class SourceTable {
  private readonly sources = new Map<string, SourceState>();
  private lastKey: string | undefined;
  private last: SourceState | undefined;
  /**
   * When a source whose dedup state still mattered was forgotten for room.
   * Every source (re)created after that starts with it as `lostStateAt`: its
   * old state may be among what was lost (protocol.md §6.3).
   */
  private forgottenAt = -Infinity;

  constructor(
    private readonly limits: SourceLimits,
    /** How long lost dedup state stays relevant (max deadline + grace). */
    private readonly stateLifetimeMs = Infinity,
    /** Hears of each source forgotten for room, with its sessions (their calls must stay findable). */
    private readonly onForget?: (source: SourceState) => void,
  ) {}

  get size(): number {
    return this.sources.size;
  }

  /** Client sessions remembered across all sources (for stats; walks the table). */
  sessionCount(): number {
    let n = 0;
    for (const s of this.sources.values()) n += s.sessions.size;
    return n;
  }

  /** The state of `key`, created (and the oldest forgotten) if new. */
  get(key: string, now: number): SourceState {
    // One datagram looks its source up several times (admit, dispatch, reply).
    if (key === this.lastKey && this.last !== undefined && now - this.last.touchedAt <= 1000) return this.last;
    const s = this.lookup(key, now);
    this.lastKey = key;
    this.last = s;
    return s;
  }

  private lookup(key: string, now: number): SourceState {
    let s = this.sources.get(key);
    if (s === undefined) {
      if (this.sources.size >= this.limits.maxSources) this.forgetOldest(now);
      s = {
        tokens: this.limits.rateBurst,
        refilledAt: now,
        bytesIn: 0,
        bytesOut: 0,
        validated: false,
        touchedAt: now,
        mayChallenge: false,
        lostStateAt: this.forgottenAt,
        sessions: new Map(),
      };
      this.sources.set(key, s);
    } else if (now - s.touchedAt > 1000) {
      // Re-inserting moves it to the recent end; once a second is enough for LRU.
      s.touchedAt = now;
      this.sources.delete(key);
      this.sources.set(key, s);
    }
    return s;
  }

  private forgetOldest(now: number): void {
    const [key, oldest] = this.sources.entries().next().value!;
    this.sources.delete(key);
    if (oldest === this.last) this.last = undefined;
    const recent = (t: number): boolean => now - t < this.stateLifetimeMs;
    let mattered = recent(oldest.lostStateAt);
    for (const session of oldest.sessions.values()) if (session.lowWater !== undefined && recent(session.lastSeenAt)) mattered = true;
    if (mattered) this.forgottenAt = now;
    this.onForget?.(oldest);
  }

  /** Charges one received datagram; false when the source is over its rate. */
  admit(s: SourceState, bytes: number, now: number): boolean {
    if (now > s.refilledAt) {
      s.tokens = Math.min(this.limits.rateBurst, s.tokens + ((now - s.refilledAt) / 1000) * this.limits.ratePerSecond);
      s.refilledAt = now;
    }
    if (s.tokens < 1) return false;
    s.tokens -= 1;
    s.bytesIn += bytes;
    s.mayChallenge = true;
    return true;
  }

  /**
   * Whether a frame of `bytes` may be sent to the source now; charges it if
   * so. Each frame is charged {@link FRAMING_ALLOWANCE} more than its size,
   * since coalescing may wrap it in a batch (header and length prefix).
   */
  allowSend(s: SourceState, bytes: number): boolean {
    const cost = bytes + FRAMING_ALLOWANCE;
    if (!s.validated && s.bytesOut + cost > this.limits.amplificationFactor * s.bytesIn) return false;
    s.bytesOut += cost;
    return true;
  }

}

/**
 * Mints and checks the stateless address-validation tokens of protocol.md
 * §8.3. The server package implements it with HMAC-SHA256 and a rotating
 * secret; the engine stays free of crypto.
 */
export interface AddressValidator {
  mint(peerKey: string, now: number): Uint8Array;
  verify(token: Uint8Array, peerKey: string, now: number): boolean;
}
