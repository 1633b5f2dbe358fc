const EMPTY = new Uint8Array(0);

/**
 * The bytes of a message sent in fragments (protocol.md §3.3): a small `head`
 * the engine writes (a REQUEST's fixed fields and method name, §5.1) followed
 * by a `tail` it does not touch (the codec's payload). They are never joined:
 * a fragment is cut from either, and only the one fragment that straddles
 * them is copied. Joining them copied the whole payload once more per
 * message, which for a 16 MiB argument was 16 MiB more to allocate and hold
 * for the call's lifetime.
 */
export class MessageBody {
  /** Bytes in all: `head.length + tail.length`. */
  readonly length: number;

  constructor(
    /** The leading bytes; the engine may rewrite fields in it between transmissions. */
    readonly head: Uint8Array,
    readonly tail: Uint8Array = EMPTY,
  ) {
    this.length = head.length + tail.length;
  }

  /** `body` as a MessageBody (itself if it is one). */
  static of(body: Uint8Array | MessageBody): MessageBody {
    return body instanceof MessageBody ? body : new MessageBody(body);
  }

  /**
   * Bytes `start` to `end` (`0 <= start <= end <= length`): a view into the
   * head or the tail, or a copy of the range when it straddles both.
   */
  range(start: number, end: number): Uint8Array {
    const h = this.head.length;
    if (start >= h) return this.tail.subarray(start - h, end - h);
    if (end <= h) return this.head.subarray(start, end);
    const out = new Uint8Array(end - start);
    out.set(this.head.subarray(start), 0);
    out.set(this.tail.subarray(0, end - h), h - start);
    return out;
  }
}
