import { HEADER_BYTES } from '../wire/frame-header.js';
import { BATCH_ENTRY_BYTES } from '../wire/batch.js';
import type { EntrySource } from './call-entry.js';
import type { PeerAddress } from '../transport/transport.js';
import { MAX_SESSIONS_PER_SOURCE, sessionOf, type SessionSource, type SessionState } from './session-state.js';
import { RttEstimator } from '../recovery/rtt-estimator.js';
import { TRANSFER_RTT_POLICY } from '../recovery/timed-transfer.js';
import { RTT_STATE_BYTES, SESSION_STATE_BYTES, SOURCE_STATE_BYTES, type SourceLimits } from './source-limits.js';

/**
 * Per-source state a server keeps about the addresses that send to it
 * (protocol.md §8.2–8.3): a token bucket for rate limiting and the byte
 * counts behind anti-amplification. The table is bounded; the least recently
 * seen source is forgotten first, and a forgotten source simply starts over
 * (unvalidated, with a full bucket).
 */

/** What is known about one source address. */
export interface SourceState extends SessionSource, EntrySource {
  /** Its `peerKey`, the key of the table. */
  readonly key: string;
  /** Set once the table forgot it (for room): calls still holding it look the address up again. */
  forgotten: boolean;
  tokens: number;
  refilledAt: number;
  /** Bytes received from the address, except datagrams of its validated session (protocol.md §8.2). */
  bytesIn: number;
  /** Bytes charged for frames sent to it, except frames of its validated session. */
  bytesOut: number;
  /** The one session a token echo from this address validated (0: none), and until when. */
  validSession: number;
  validUntil: number;
  touchedAt: number;
  /** A datagram arrived since the last address-validation challenge: one more may go. */
  mayChallenge: boolean;
  /**
   * When the server last lost dedup state for this address (a reply evicted by
   * the byte cap, a session pushed out): retransmissions from it are refused
   * for a while rather than risk running a call twice (protocol.md §6.3).
   */
  lostStateAt: number;
  /**
   * The datagram size the client confirmed for the path both ways, as its
   * latest path MTU probe or report said (protocol.md §7.5); 0: the base size.
   */
  pathBytes: number;
  /** Client sessions seen from this address, by session number. */
  readonly sessions: Map<number, SessionState>;
  /**
   * The RTT estimator of the path to the address, which every reply transfer
   * to it samples and reads its PTO from (protocol.md §7.3 "Reply timers");
   * made by {@link SourceTable.rttOf} at the first reply in fragments.
   */
  rtt: RttEstimator | undefined;
  /** The address itself, once it sent a REQUEST: where a drain's GOAWAY goes (protocol.md §5.9). */
  peer?: PeerAddress;
}

/** A BATCH header plus one length prefix (protocol.md §3.4). */
const FRAMING_ALLOWANCE = HEADER_BYTES + BATCH_ENTRY_BYTES;

export class SourceTable {
  private readonly sources = new Map<string, SourceState>();
  /** Sessions in all sources' maps. */
  private sessionTotal = 0;
  /** Sources that have an RTT estimator. */
  private rttTotal = 0;
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
  ) {
    // One source with all its sessions and its estimator must fit, or the cap could not be kept.
    const least = SOURCE_STATE_BYTES + MAX_SESSIONS_PER_SOURCE * SESSION_STATE_BYTES + RTT_STATE_BYTES;
    if (!(limits.maxStateBytes >= least)) throw new RangeError(`sources.maxStateBytes must be at least ${least}`);
  }

  get size(): number {
    return this.sources.size;
  }

  /** Every remembered source with its key, least recently seen first. */
  entries(): IterableIterator<[string, SourceState]> {
    return this.sources.entries();
  }

  /** Client sessions remembered across all sources. */
  get sessionCount(): number {
    return this.sessionTotal;
  }

  /** Sources remembered with an RTT estimator. */
  get rttCount(): number {
    return this.rttTotal;
  }

  /** Bytes charged for the sources, sessions and RTT estimators remembered (at most `maxStateBytes`). */
  get bytes(): number {
    return this.sources.size * SOURCE_STATE_BYTES + this.sessionTotal * SESSION_STATE_BYTES + this.rttTotal * RTT_STATE_BYTES;
  }

  /**
   * The state of session `id` of `source` (see {@link sessionOf}), charged to
   * the state cap: a new session that does not fit makes room by forgetting
   * the least recently seen other sources.
   */
  session(source: SourceState, id: number, now: number, idleMs: number, onDropped?: (session: SessionState) => void): SessionState {
    const before = source.sessions.size;
    const session = sessionOf(source, id, now, idleMs, onDropped);
    const added = source.sessions.size - before;
    if (added !== 0) {
      this.sessionTotal += added;
      while (this.bytes > this.limits.maxStateBytes && this.forgetOldest(now, source));
    }
    return session;
  }

  /**
   * The state of `key`, created (and the oldest forgotten) if new. The
   * engine looks a datagram's source up once and hands the state along.
   */
  get(key: string, now: number): SourceState {
    let s = this.sources.get(key);
    if (s === undefined) {
      if (this.sources.size >= this.limits.maxSources) this.forgetOldest(now);
      while (this.bytes + SOURCE_STATE_BYTES > this.limits.maxStateBytes && this.forgetOldest(now));
      s = {
        key,
        forgotten: false,
        tokens: this.limits.rateBurst,
        refilledAt: now,
        bytesIn: 0,
        bytesOut: 0,
        validSession: 0,
        validUntil: -Infinity,
        touchedAt: now,
        mayChallenge: false,
        lostStateAt: this.forgottenAt,
        pathBytes: 0,
        sessions: new Map(),
        rtt: undefined,
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

  /** Forgets the least recently seen source other than `keep`; false if there is none. */
  private forgetOldest(now: number, keep?: SourceState): boolean {
    let found: [string, SourceState] | undefined;
    for (const entry of this.sources) {
      if (entry[1] !== keep) {
        found = entry;
        break;
      }
    }
    if (found === undefined) return false;
    const [key, oldest] = found;
    this.sources.delete(key);
    this.sessionTotal -= oldest.sessions.size;
    if (oldest.rtt !== undefined) this.rttTotal--;
    oldest.forgotten = true;
    const recent = (t: number): boolean => now - t < this.stateLifetimeMs;
    let mattered = recent(oldest.lostStateAt);
    for (const session of oldest.sessions.values()) if (session.lowWater !== undefined && recent(session.lastSeenAt)) mattered = true;
    if (mattered) this.forgottenAt = now;
    this.onForget?.(oldest);
    return true;
  }

  /**
   * The current state of the address a call came from: `source` itself,
   * unless the table forgot it since (then the address is looked up, and
   * starts over, as any forgotten address does).
   */
  current(source: EntrySource, now: number): SourceState {
    // Every EntrySource is a SourceState this table made (call-entry.ts only narrows the type).
    return source.forgotten ? this.get(source.key, now) : (source as SourceState);
  }

  /**
   * The RTT estimator of the address a call came from (see
   * {@link SourceState.rtt}): one per address, so a reply starts from what
   * the replies before it measured rather than from the initial PTO. Made at
   * the address's first reply in fragments and charged to the state cap; one
   * that does not fit makes room as a new session does. It goes with the
   * source: a forgotten address starts over from the initial PTO (a transfer
   * still running keeps the estimator it has until it ends).
   */
  rttOf(source: EntrySource, now: number): RttEstimator {
    const s = this.current(source, now);
    if (s.rtt !== undefined) return s.rtt;
    const rtt = new RttEstimator(TRANSFER_RTT_POLICY);
    s.rtt = rtt;
    this.rttTotal++;
    while (this.bytes > this.limits.maxStateBytes && this.forgetOldest(now, s));
    return rtt;
  }

  /** Takes one received datagram's rate token; false when the source is over its rate. */
  admit(s: SourceState, now: number): boolean {
    if (now > s.refilledAt) {
      s.tokens = Math.min(this.limits.rateBurst, s.tokens + ((now - s.refilledAt) / 1000) * this.limits.ratePerSecond);
      s.refilledAt = now;
    }
    if (s.tokens < 1) return false;
    s.tokens -= 1;
    s.mayChallenge = true;
    return true;
  }

  /**
   * Whether `session` at this source is validated now: a token echo for it
   * arrived within the validation lifetime (protocol.md §8.2). Validation is
   * bound to the session, which a spoofer that does not see the traffic
   * lacks, and to time, so captured datagrams replayed later earn nothing.
   */
  isValidated(s: SourceState, session: number, now: number): boolean {
    return session !== 0 && session === s.validSession && now < s.validUntil;
  }

  /** Validates `session` at this source for the validation lifetime; the 3× account starts over. */
  validate(s: SourceState, session: number, now: number): void {
    s.validSession = session;
    s.validUntil = now + this.limits.validationLifetimeMs;
    s.bytesIn = 0;
    s.bytesOut = 0;
  }

  /** Credits a received datagram of `session` (undefined: unknown) to the 3× account, unless that session is validated. */
  received(s: SourceState, session: number | undefined, bytes: number, now: number): void {
    if (session === undefined || !this.isValidated(s, session, now)) s.bytesIn += bytes;
  }

  /**
   * Whether a frame of `bytes` for `session` may be sent to the source now;
   * charges it if so. A validated session's frames pass uncharged. Others
   * are charged {@link FRAMING_ALLOWANCE} more than their size, since
   * coalescing may wrap them in a batch (header and length prefix).
   */
  allowSend(s: SourceState, session: number, bytes: number, now: number): boolean {
    if (this.isValidated(s, session, now)) return true;
    const cost = bytes + FRAMING_ALLOWANCE;
    if (s.bytesOut + cost > this.limits.amplificationFactor * s.bytesIn) return false;
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
  /** A token for the address `peerKey`, valid for a while from `now`. */
  mint(peerKey: string, now: number): Uint8Array;
  /** Whether `token` was minted for `peerKey` and is still valid at `now`. */
  verify(token: Uint8Array, peerKey: string, now: number): boolean;
}
