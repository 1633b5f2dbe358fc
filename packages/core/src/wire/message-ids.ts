/**
 * Allocates 32-bit message ids: a random start, then sequential (wrapping),
 * skipping any id still in flight. Sequential ids keep the server's duplicate
 * cache keys distinct for 2^32 calls per session; the random start and the
 * random session number make ids from a restarted client collide with its old
 * ones only by chance (protocol.md §6).
 */
export class MessageIds {
  private next: number;

  constructor(random: () => number) {
    this.next = Math.floor(random() * 0x1_0000_0000) >>> 0;
  }

  /** The id `allocate` will try next. */
  peek(): number {
    return this.next;
  }

  /** The next id for which `inUse(id)` is false. */
  allocate(inUse: (id: number) => boolean): number {
    for (;;) {
      const id = this.next;
      this.next = (this.next + 1) >>> 0;
      if (!inUse(id)) return id;
    }
  }
}

/** A random non-zero 32-bit session number. */
export function randomSession(random: () => number): number {
  return (Math.floor(random() * 0xffff_ffff) >>> 0) + 1;
}
