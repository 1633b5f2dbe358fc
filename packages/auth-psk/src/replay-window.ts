import { LruMap } from './lru.js';

/** Default {@link ReplayWindow} size: counters accepted below the highest seen. */
export const DEFAULT_REPLAY_WINDOW = 1024;
/** Largest replay window accepted. */
export const MAX_REPLAY_WINDOW = 65_536;
/** Default number of senders whose windows are remembered (LRU). */
export const DEFAULT_MAX_SENDERS = 4096;

const BLOCK_BITS = 32n;

/**
 * The anti-replay sliding window of one sender, over its 64-bit nonce
 * counter: a bitmap of recently seen counters below the highest one, kept in
 * 32-bit blocks that are cleared lazily as the window slides (RFC 6479,
 * as in IPsec ESP and DTLS).
 *
 * A counter is accepted once: if it is above the highest seen, or within
 * `size` below it and not seen yet. Anything older is refused, since it can
 * no longer be told apart from a replay. {@link check} has no side effects;
 * call {@link accept} only after the datagram authenticated, so forged
 * datagrams can never move the window (security.md §4).
 */
export class ReplayWindow {
  /** Window size in counters (a multiple of 32). */
  readonly size: number;
  private readonly bitmap: Uint32Array;
  private readonly blocks: bigint;
  private top: bigint | undefined;

  constructor(size: number = DEFAULT_REPLAY_WINDOW) {
    if (!Number.isInteger(size) || size < 1 || size > MAX_REPLAY_WINDOW) {
      throw new RangeError(`replay window must be an integer in 1..${MAX_REPLAY_WINDOW}, got ${size}`);
    }
    this.size = Math.ceil(size / 32) * 32;
    // One spare block, so the block holding the oldest counter in the window
    // is never the one being reused for the newest (RFC 6479 §2).
    this.bitmap = new Uint32Array(this.size / 32 + 1);
    this.blocks = BigInt(this.bitmap.length);
  }

  /** The highest counter accepted so far. */
  get highest(): bigint | undefined {
    return this.top;
  }

  /** True if `counter` would be accepted now. Does not change anything. */
  check(counter: bigint): boolean {
    const top = this.top;
    if (top === undefined || counter > top) return true;
    if (top - counter >= BigInt(this.size)) return false;
    return (this.bitmap[this.blockOf(counter)]! & bitOf(counter)) === 0;
  }

  /** Records `counter` as seen; returns false (and changes nothing) if {@link check} would refuse it. */
  accept(counter: bigint): boolean {
    if (!this.check(counter)) return false;
    const top = this.top;
    if (top === undefined) {
      this.bitmap.fill(0);
      this.top = counter;
    } else if (counter > top) {
      const advance = (counter >> 5n) - (top >> 5n);
      if (advance >= this.blocks) {
        this.bitmap.fill(0);
      } else {
        for (let i = 1n; i <= advance; i++) this.bitmap[Number(((top >> 5n) + i) % this.blocks)] = 0;
      }
      this.top = counter;
    }
    const block = this.blockOf(counter);
    this.bitmap[block] = this.bitmap[block]! | bitOf(counter);
    return true;
  }

  private blockOf(counter: bigint): number {
    return Number((counter >> 5n) % this.blocks);
  }
}

function bitOf(counter: bigint): number {
  return (1 << Number(counter % BLOCK_BITS)) >>> 0;
}

/**
 * Replay windows for many senders, keyed by (key id, sender prefix), holding
 * at most `maxSenders` of them: the least recently heard sender is forgotten
 * first. A forgotten sender's old datagrams would be accepted again, so size
 * it above the number of peers active within a replay's useful lifetime.
 */
export class ReplayTable {
  private readonly windows: LruMap<string, ReplayWindow>;
  private evictedCount = 0;

  constructor(
    private readonly windowSize: number = DEFAULT_REPLAY_WINDOW,
    maxSenders: number = DEFAULT_MAX_SENDERS,
  ) {
    new ReplayWindow(windowSize); // validates the size now rather than on the first datagram
    this.windows = new LruMap(maxSenders);
  }

  /** Senders currently remembered. */
  get size(): number {
    return this.windows.size;
  }

  /** Senders forgotten to make room so far. */
  get evicted(): number {
    return this.evictedCount;
  }

  /** True if the datagram would be fresh. Does not change anything. */
  check(keyId: string, prefix: number, counter: bigint): boolean {
    return this.windows.peek(tableKey(keyId, prefix))?.check(counter) ?? true;
  }

  /** Records an authenticated datagram; false if it is a replay. */
  accept(keyId: string, prefix: number, counter: bigint): boolean {
    const key = tableKey(keyId, prefix);
    let window = this.windows.get(key);
    if (window === undefined) {
      window = new ReplayWindow(this.windowSize);
      this.evictedCount += this.windows.set(key, window);
    }
    return window.accept(counter);
  }

  /** Forgets every sender. */
  clear(): void {
    this.windows.clear();
  }
}

// Key ids are valid UTF-8 without NUL restrictions, so the prefix goes first
// as fixed-width hex and the separator cannot be forged.
function tableKey(keyId: string, prefix: number): string {
  return `${prefix.toString(16).padStart(8, '0')}:${keyId}`;
}
