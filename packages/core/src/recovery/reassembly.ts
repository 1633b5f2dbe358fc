import type { FragmentAck } from '../wire/fragment-ack.js';
import type { FragmentInfo } from '../wire/frame.js';
import type { Timed } from '../timer/timer-heap.js';
import { reassemblyCostOf } from './reassembly-limits.js';

/** Acknowledge at least every this many new fragments. */
const ACK_EVERY = 8;
/** Most ranges reported in one ack. */
const MAX_RANGES = 64;

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
