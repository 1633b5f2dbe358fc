import type { AmplificationGate } from '../flowcontrol/amplification-gate.js';
import type { PeerAddress } from '../transport/transport.js';
import { encodeGoAwayFrame } from '../wire/goaway.js';
import type { SourceState, SourceTable } from './source-table.js';

// A server's graceful drain (protocol.md §5.9): from `ServerEngine.goAway`
// until the host closes. Kept apart from the engine so the engine only asks
// three things of it: is a drain on, is it over, and when to look again.

/** Where one GOAWAY goes: a source address and the session it last used. */
export interface GoAwayTarget {
  readonly peer: PeerAddress;
  readonly peerKey: string;
  /** The source's state, as the amplification limit charges it. */
  readonly source: SourceState;
  readonly session: number;
}

/**
 * The sources a GOAWAY goes to: every remembered address that sent a
 * REQUEST within `recentMs` (the entry lifetime: it may still retransmit or
 * start calls), once each, in the session it used last. A client that is
 * not in its session gets none: it learns from the refusal of its next call.
 */
export function goAwayTargets(sources: Iterable<[string, SourceState]>, now: number, recentMs: number): GoAwayTarget[] {
  const targets: GoAwayTarget[] = [];
  for (const [peerKey, source] of sources) {
    const peer = source.peer;
    if (peer === undefined) continue;
    let session: number | undefined;
    let seenAt = -Infinity;
    for (const [id, s] of source.sessions) {
      if (s.lastSeenAt > seenAt) {
        seenAt = s.lastSeenAt;
        session = id;
      }
    }
    if (session !== undefined && now - seenAt < recentMs) targets.push({ peer, peerKey, source, session });
  }
  return targets;
}

/**
 * Sends one GOAWAY to each of {@link goAwayTargets}, through the
 * anti-amplification limit (an unvalidated address that has had its 3× gets
 * none: its next call's refusal tells it). Returns how many went.
 */
export function sendGoAways(
  sources: SourceTable,
  gate: AmplificationGate,
  now: number,
  recentMs: number,
  drainMs: number,
  incarnation: number,
): number {
  let sent = 0;
  for (const target of goAwayTargets(sources.entries(), now, recentMs)) {
    const frame = encodeGoAwayFrame(target.session, drainMs, incarnation);
    if (gate.transmitUnprompted(frame, target.peer, target.source, target.session, now)) sent++;
  }
  return sent;
}

/**
 * The state of one drain. It ends at `closeBy` (start + grace period), or
 * earlier: `lingerMs` after the server last became idle (no handler running
 * or queued), so a reply lost on its way can still be asked for again and
 * answered from the cache.
 */
export class DrainState {
  /** When the server last became idle during the drain; undefined while busy. */
  private idleSince: number | undefined;
  /** The end was reported (once). */
  ended = false;
  /** GOAWAY frames sent. */
  goAways = 0;
  /** New calls refused as going away. */
  refused = 0;

  constructor(
    readonly startedAt: number,
    readonly closeBy: number,
    private readonly lingerMs: number,
  ) {}

  /** Notes whether the server is idle at `now` (call after anything that may change it). */
  update(idle: boolean, now: number): void {
    if (!idle) this.idleSince = undefined;
    else this.idleSince ??= now;
  }

  /** When the drain ends, as known now. */
  get endsAt(): number {
    return this.idleSince === undefined ? this.closeBy : Math.min(this.closeBy, this.idleSince + this.lingerMs);
  }
}
