import type { FragmentInfo } from '../wire/frame.js';
import { TimerHeap } from '../timer/timer-heap.js';
import { Reassembly } from './reassembly.js';
import { MAX_FRAGMENTS, reassemblyCostOf, type ReassemblyLimits } from './reassembly-limits.js';

/** Why a fragment was not kept. */
export type ReassemblyRefusal = 'message-too-large' | 'peer-limit' | 'total-limit';

/** The outcome of offering a fragment to a {@link ReassemblyTable}. */
export type FragmentResult =
  | { status: 'added'; reassembly: Reassembly; ackNow: boolean }
  | { status: 'complete'; reassembly: Reassembly; body: Uint8Array }
  | { status: 'duplicate'; reassembly: Reassembly; ackNow: boolean }
  | { status: 'mismatch' }
  | { status: 'refused'; reason: ReassemblyRefusal; totalBytes: number };

/**
 * All unfinished messages of one engine, with per-message, per-peer and
 * global byte caps and an idle timeout. A flood of first fragments that never
 * complete costs at most `maxTotalBytes`, and each peer at most its share.
 */
export class ReassemblyTable {
  private readonly byKey = new Map<string, Reassembly>();
  private readonly perPeer = new Map<string, { bytes: number; messages: number }>();
  private readonly timers = new TimerHeap<Reassembly>();
  private total = 0;
  expired = 0;
  /** Messages started over in smaller fragments (protocol.md §7.5). */
  restarted = 0;

  constructor(readonly limits: ReassemblyLimits) {}

  /** Bytes currently charged. */
  get bytes(): number {
    return this.total;
  }

  get size(): number {
    return this.byKey.size;
  }

  get(key: string): Reassembly | undefined {
    return this.byKey.get(key);
  }

  /**
   * Offers one fragment of message `key` from `peerKey`. Only a fragment that
   * would start a new message can be refused: the message's whole cost is
   * reserved then, so the fragments of an admitted message always fit
   * (protocol.md §7.4).
   */
  offer(key: string, peerKey: string, type: number, f: FragmentInfo, body: Uint8Array, ackRequested: boolean, now: number): FragmentResult {
    if (f.totalBytes > this.limits.maxMessageBytes) {
      return { status: 'refused', reason: 'message-too-large', totalBytes: f.totalBytes };
    }
    let r = this.byKey.get(key);
    if (r !== undefined && !r.matches(type, f)) {
      if (!r.restartsWith(type, f)) return { status: 'mismatch' };
      // The sender started the message over in smaller fragments (a black
      // hole, protocol.md §7.5): what arrived of the old ones is discarded.
      this.delete(r);
      this.restarted++;
      r = undefined;
    }
    if (r === undefined) {
      if (Math.ceil(f.totalBytes / f.fragmentBytes) > MAX_FRAGMENTS) return { status: 'mismatch' };
      let peer = this.perPeer.get(peerKey);
      if ((peer?.messages ?? 0) >= this.limits.maxPeerMessages) return { status: 'refused', reason: 'peer-limit', totalBytes: f.totalBytes };
      // Refused before anything is allocated: nothing to leak.
      const cost = reassemblyCostOf(f.totalBytes, f.fragmentBytes);
      if ((peer?.bytes ?? 0) + cost > this.limits.maxPeerBytes) return { status: 'refused', reason: 'peer-limit', totalBytes: f.totalBytes };
      if (this.total + cost > this.limits.maxTotalBytes) return { status: 'refused', reason: 'total-limit', totalBytes: f.totalBytes };
      r = new Reassembly(key, peerKey, type, f.totalBytes, f.fragmentBytes);
      if (peer === undefined) {
        peer = { bytes: 0, messages: 0 };
        this.perPeer.set(peerKey, peer);
      }
      peer.messages++;
      peer.bytes += r.charged;
      this.total += r.charged;
      this.byKey.set(key, r);
    }
    // A duplicate is acknowledged only when its sender asks: acking every
    // duplicate lets each resend trigger an ack and each ack a resend.
    if (r.has(f.index)) return { status: 'duplicate', reassembly: r, ackNow: ackRequested };
    const ackNow = r.add(f.index, body, ackRequested);
    if (r.complete) {
      this.delete(r);
      return { status: 'complete', reassembly: r, body: r.assemble() };
    }
    this.timers.set(r, now + this.limits.idleTimeoutMs);
    return { status: 'added', reassembly: r, ackNow };
  }

  /** Bytes of the buffers all partial messages keep alive (for tests and diagnostics). */
  retainedBytes(): number {
    let n = 0;
    for (const r of this.byKey.values()) n += r.retainedBytes;
    return n;
  }

  /** Drops message `key` (its call ended). */
  discard(key: string): void {
    const r = this.byKey.get(key);
    if (r !== undefined) this.delete(r);
  }

  /** Discards messages idle past the timeout; returns them. */
  expire(now: number): Reassembly[] {
    const out: Reassembly[] = [];
    for (let r = this.timers.popDue(now); r !== undefined; r = this.timers.popDue(now)) {
      this.expired++;
      this.delete(r);
      out.push(r);
    }
    return out;
  }

  nextTimerAt(): number | undefined {
    return this.timers.peek()?.timerAt;
  }

  private delete(r: Reassembly): void {
    if (this.byKey.get(r.key) !== r) return;
    this.byKey.delete(r.key);
    this.timers.delete(r);
    this.total -= r.charged;
    const peer = this.perPeer.get(r.peerKey);
    if (peer !== undefined) {
      peer.bytes -= r.charged;
      peer.messages--;
      if (peer.messages === 0) this.perPeer.delete(r.peerKey);
    }
  }
}
