import type { FragmentAck } from './fragment-ack.js';
import type { FragmentInfo } from './frame.js';
import { TimerHeap, type Timed } from './timer-heap.js';

/**
 * Bounds on reassembly memory (protocol.md §7.4). Every byte a peer can make
 * us hold is charged here before it is kept.
 */
export interface ReassemblyLimits {
  /** Largest message accepted, in bytes. 16 MiB. */
  maxMessageBytes: number;
  /** Bytes held for unfinished messages from one peer. 32 MiB. */
  maxPeerBytes: number;
  /** Unfinished messages from one peer. 16. */
  maxPeerMessages: number;
  /** Bytes held for unfinished messages overall. 128 MiB. */
  maxTotalBytes: number;
  /** An unfinished message with no new fragment for this long is discarded. 10 s. */
  idleTimeoutMs: number;
}

/** Defaults; see each field. */
export const defaultReassemblyLimits: Readonly<ReassemblyLimits> = Object.freeze({
  maxMessageBytes: 16 * 1024 * 1024,
  maxPeerBytes: 32 * 1024 * 1024,
  maxPeerMessages: 16,
  maxTotalBytes: 128 * 1024 * 1024,
  idleTimeoutMs: 10_000,
});

/** Bookkeeping charged per message and per fragment on top of the payload. */
const MESSAGE_OVERHEAD_BYTES = 256;
const FRAGMENT_OVERHEAD_BYTES = 16;
/** Most fragments one message may have; bounds the per-message index array. */
export const MAX_FRAGMENTS = 65_536;
/** Acknowledge at least every this many new fragments. */
const ACK_EVERY = 8;
/** Most ranges reported in one ack. */
const MAX_RANGES = 64;

/** One message being put back together. */
export class Reassembly implements Timed {
  readonly count: number;
  private readonly parts: Array<Uint8Array | undefined>;
  private received = 0;
  private cumulative = 0;
  private highest = -1;
  private sinceAck = 0;
  charged: number;
  timerAt = 0;
  heapIndex = -1;

  constructor(
    readonly key: string,
    readonly peerKey: string,
    readonly type: number,
    readonly totalBytes: number,
    readonly fragmentBytes: number,
  ) {
    this.count = Math.ceil(totalBytes / fragmentBytes);
    this.parts = new Array<Uint8Array | undefined>(this.count);
    this.charged = MESSAGE_OVERHEAD_BYTES + 8 * this.count;
  }

  get complete(): boolean {
    return this.received === this.count;
  }

  /** Some fragment below the highest one received is missing. */
  get hasGaps(): boolean {
    return this.cumulative <= this.highest && this.received < this.highest + 1;
  }

  /** Whether a fragment belongs to this message's shape. */
  matches(type: number, f: FragmentInfo): boolean {
    return type === this.type && f.totalBytes === this.totalBytes && f.fragmentBytes === this.fragmentBytes;
  }

  has(index: number): boolean {
    return this.parts[index] !== undefined;
  }

  /**
   * Stores a fragment (the caller has checked it is new and affordable).
   * Returns whether an ack should go out now: every {@link ACK_EVERY}
   * fragments, on a gap, when the sender asked, and on completion.
   */
  add(index: number, body: Uint8Array, ackRequested: boolean): boolean {
    this.parts[index] = body;
    this.received++;
    this.sinceAck++;
    this.charged += body.length + FRAGMENT_OVERHEAD_BYTES;
    const gap = index > this.highest + 1 || index < this.highest;
    if (index > this.highest) this.highest = index;
    while (this.cumulative < this.count && this.parts[this.cumulative] !== undefined) this.cumulative++;
    const ackNow = ackRequested || gap || this.complete || this.sinceAck >= ACK_EVERY;
    if (ackNow) this.sinceAck = 0;
    return ackNow;
  }

  /** What this side holds, for a FRAGMENT_ACK. */
  ack(): FragmentAck {
    const ranges: Array<[number, number]> = [];
    let i = this.cumulative;
    while (i <= this.highest && ranges.length < MAX_RANGES) {
      while (i <= this.highest && this.parts[i] === undefined) i++;
      if (i > this.highest) break;
      const start = i;
      while (i <= this.highest && this.parts[i] !== undefined) i++;
      ranges.push([start, i]);
    }
    return { ackedType: this.type, cumulative: this.cumulative, ranges };
  }

  /** The whole message; only once complete. */
  assemble(): Uint8Array {
    const out = new Uint8Array(this.totalBytes);
    let offset = 0;
    for (const part of this.parts) {
      out.set(part!, offset);
      offset += part!.length;
    }
    return out;
  }
}

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

  /** Offers one fragment of message `key` from `peerKey`. */
  offer(key: string, peerKey: string, type: number, f: FragmentInfo, body: Uint8Array, ackRequested: boolean, now: number): FragmentResult {
    if (f.totalBytes > this.limits.maxMessageBytes) {
      return { status: 'refused', reason: 'message-too-large', totalBytes: f.totalBytes };
    }
    let r = this.byKey.get(key);
    let peer = this.perPeer.get(peerKey);
    if (r === undefined) {
      if (Math.ceil(f.totalBytes / f.fragmentBytes) > MAX_FRAGMENTS) return { status: 'mismatch' };
      if ((peer?.messages ?? 0) >= this.limits.maxPeerMessages) return { status: 'refused', reason: 'peer-limit', totalBytes: f.totalBytes };
      r = new Reassembly(key, peerKey, type, f.totalBytes, f.fragmentBytes);
      // A new message must afford its bookkeeping and its first fragment, or
      // it is not created at all (nothing to leak).
      const firstCost = r.charged + body.length + FRAGMENT_OVERHEAD_BYTES;
      if (!this.affordable(peer, firstCost)) return { status: 'refused', reason: this.refusal(peer, firstCost), totalBytes: f.totalBytes };
      if (peer === undefined) {
        peer = { bytes: 0, messages: 0 };
        this.perPeer.set(peerKey, peer);
      }
      peer.messages++;
      peer.bytes += r.charged;
      this.total += r.charged;
      this.byKey.set(key, r);
    } else if (!r.matches(type, f)) {
      return { status: 'mismatch' };
    }
    // A duplicate is acknowledged only when its sender asks: acking every
    // duplicate lets each resend trigger an ack and each ack a resend.
    if (r.has(f.index)) return { status: 'duplicate', reassembly: r, ackNow: ackRequested };
    const cost = body.length + FRAGMENT_OVERHEAD_BYTES;
    if (!this.affordable(peer, cost)) return { status: 'refused', reason: this.refusal(peer, cost), totalBytes: f.totalBytes };
    const before = r.charged;
    const ackNow = r.add(f.index, body, ackRequested);
    this.charge(r, r.charged - before);
    if (r.complete) {
      const whole = r.assemble();
      this.delete(r);
      return { status: 'complete', reassembly: r, body: whole };
    }
    this.timers.set(r, now + this.limits.idleTimeoutMs);
    return { status: 'added', reassembly: r, ackNow };
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

  private affordable(peer: { bytes: number } | undefined, cost: number): boolean {
    return this.total + cost <= this.limits.maxTotalBytes && (peer?.bytes ?? 0) + cost <= this.limits.maxPeerBytes;
  }

  private refusal(peer: { bytes: number } | undefined, cost: number): ReassemblyRefusal {
    return (peer?.bytes ?? 0) + cost > this.limits.maxPeerBytes ? 'peer-limit' : 'total-limit';
  }

  private charge(r: Reassembly, cost: number): void {
    this.total += cost;
    const peer = this.perPeer.get(r.peerKey);
    if (peer !== undefined) peer.bytes += cost;
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
