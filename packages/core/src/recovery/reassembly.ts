import type { FragmentAck } from '../wire/fragment-ack.js';
import type { FragmentInfo } from '../wire/frame.js';
import { TimerHeap, type Timed } from '../timer/timer-heap.js';

/**
 * Bounds on reassembly memory (protocol.md §7.4). Every byte a peer can make
 * us hold is charged here before it is kept: a message's whole cost, when its
 * first fragment arrives.
 */
export interface ReassemblyLimits {
  /** Largest message accepted, in bytes. 16 MiB. */
  maxMessageBytes: number;
  /** Bytes held for unfinished messages from one peer. 33 MiB (two of the largest messages). */
  maxPeerBytes: number;
  /** Unfinished messages from one peer. 16. */
  maxPeerMessages: number;
  /** Bytes held for unfinished messages overall. 129 MiB (eight of the largest messages). */
  maxTotalBytes: number;
  /** An unfinished message with no new fragment for this long is discarded. 10 s. */
  idleTimeoutMs: number;
}

/**
 * Defaults; see each field. A message of `maxMessageBytes` costs at most
 * `maxReassemblyCostOf(maxMessageBytes)` = 16 MiB + 64.8 KiB, so the
 * per-peer cap holds two of the largest messages and the total cap eight,
 * whatever their fragment size.
 */
export const defaultReassemblyLimits: Readonly<ReassemblyLimits> = Object.freeze({
  maxMessageBytes: 16 * 1024 * 1024,
  maxPeerBytes: 33 * 1024 * 1024,
  maxPeerMessages: 16,
  maxTotalBytes: 129 * 1024 * 1024,
  idleTimeoutMs: 10_000,
});

/**
 * Bookkeeping charged per message on top of its body and fragment flags: the
 * object, its two typed arrays, its key string and map slot. Measured: 750 to
 * 800 bytes on Node 20 (x64), the most for the smallest messages.
 */
const MESSAGE_OVERHEAD_BYTES = 800;
/** Most fragments one message may have; bounds the per-message index array. */
export const MAX_FRAGMENTS = 65_536;
/** Acknowledge at least every this many new fragments. */
const ACK_EVERY = 8;
/** Most ranges reported in one ack. */
const MAX_RANGES = 64;

/**
 * What a message of `totalBytes` in fragments of `fragmentBytes` costs while
 * it is reassembled: its bookkeeping, one byte per fragment (which ones have
 * arrived) and the whole body. All of it is allocated, and charged, when its
 * first fragment arrives (protocol.md §7.4), so an admitted message can
 * always finish.
 */
export function reassemblyCostOf(totalBytes: number, fragmentBytes: number): number {
  return MESSAGE_OVERHEAD_BYTES + Math.ceil(totalBytes / fragmentBytes) + totalBytes;
}

/** The most a message of `totalBytes` can cost, whatever its fragment size (at most {@link MAX_FRAGMENTS} fragments). */
export function maxReassemblyCostOf(totalBytes: number): number {
  return MESSAGE_OVERHEAD_BYTES + Math.min(totalBytes, MAX_FRAGMENTS) + totalBytes;
}

/**
 * One message being put back together. Each fragment is copied into its
 * place in the message's one buffer as it arrives: a fragment is usually a
 * view into its datagram (and a BATCH datagram may be 64 KB around a 1-byte
 * fragment), so keeping views would retain bytes nobody charged. The copy
 * replaces the one the final assembly used to make, so every byte is still
 * copied once, and no object per fragment is kept.
 */
export class Reassembly implements Timed {
  readonly count: number;
  /** The whole body, filled in as fragments arrive. */
  private readonly body: Uint8Array;
  /** 1 where fragment i has arrived. */
  private readonly arrived: Uint8Array;
  private received = 0;
  private cumulative = 0;
  private highest = -1;
  private sinceAck = 0;
  /** Bytes charged: everything the message will need, reserved up front. */
  readonly charged: number;
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
    this.body = new Uint8Array(totalBytes);
    this.arrived = new Uint8Array(this.count);
    this.charged = reassemblyCostOf(totalBytes, fragmentBytes);
  }

  get complete(): boolean {
    return this.received === this.count;
  }

  /** Some fragment below the highest one received is missing. */
  get hasGaps(): boolean {
    return this.cumulative <= this.highest && this.received < this.highest + 1;
  }

  /**
   * Bytes of the buffers this message keeps alive (for tests and diagnostics):
   * what {@link charged} covers, less the bookkeeping.
   */
  get retainedBytes(): number {
    return this.body.buffer.byteLength + this.arrived.buffer.byteLength;
  }

  /** Whether a fragment belongs to this message's shape. */
  matches(type: number, f: FragmentInfo): boolean {
    return type === this.type && f.totalBytes === this.totalBytes && f.fragmentBytes === this.fragmentBytes;
  }

  /**
   * Whether a fragment that does not match starts the message over: same
   * type and total, smaller fragments (protocol.md §7.4, §7.5). Never larger
   * ones, so a late fragment of the old transfer cannot undo the restart.
   */
  restartsWith(type: number, f: FragmentInfo): boolean {
    return type === this.type && f.totalBytes === this.totalBytes && f.fragmentBytes < this.fragmentBytes;
  }

  has(index: number): boolean {
    return this.arrived[index] === 1;
  }

  /**
   * Copies a new fragment into place (the frame parser has checked its length
   * against the message's shape, protocol.md §3.3). Returns whether an ack
   * should go out now: every {@link ACK_EVERY} fragments, on a gap, when the
   * sender asked, and on completion.
   */
  add(index: number, body: Uint8Array, ackRequested: boolean): boolean {
    this.body.set(body, index * this.fragmentBytes);
    this.arrived[index] = 1;
    this.received++;
    this.sinceAck++;
    const gap = index > this.highest + 1 || index < this.highest;
    if (index > this.highest) this.highest = index;
    while (this.cumulative < this.count && this.arrived[this.cumulative] === 1) this.cumulative++;
    const ackNow = ackRequested || gap || this.complete || this.sinceAck >= ACK_EVERY;
    if (ackNow) this.sinceAck = 0;
    return ackNow;
  }

  /** What this side holds, for a FRAGMENT_ACK. */
  ack(): FragmentAck {
    const ranges: Array<[number, number]> = [];
    let i = this.cumulative;
    while (i <= this.highest && ranges.length < MAX_RANGES) {
      while (i <= this.highest && this.arrived[i] !== 1) i++;
      if (i > this.highest) break;
      const start = i;
      while (i <= this.highest && this.arrived[i] === 1) i++;
      ranges.push([start, i]);
    }
    return { ackedType: this.type, cumulative: this.cumulative, ranges };
  }

  /** The whole message; only once complete. */
  assemble(): Uint8Array {
    return this.body;
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
