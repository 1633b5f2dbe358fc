/**
 * A bounded map that forgets its least recently used entry when full. A
 * `Map` keeps insertion order, so "use" is delete-then-set and the oldest
 * entry is the first key.
 *
 * @internal Used for the replay windows and the reply-key table.
 */
export class LruMap<K, V> {
  private readonly map = new Map<K, V>();

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`LRU capacity must be an integer >= 1, got ${capacity}`);
  }

  /** Entries currently held. */
  get size(): number {
    return this.map.size;
  }

  /** The value for `key`, marking it most recently used. */
  get(key: K): V | undefined {
    const value = this.map.get(key);
    if (value !== undefined) {
      this.map.delete(key);
      this.map.set(key, value);
    }
    return value;
  }

  /** Looks at `key` without changing the order. */
  peek(key: K): V | undefined {
    return this.map.get(key);
  }

  /** Stores `value` as most recently used; returns how many entries were evicted (0 or 1). */
  set(key: K, value: V): number {
    this.map.delete(key);
    this.map.set(key, value);
    if (this.map.size <= this.capacity) return 0;
    const oldest = this.map.keys().next();
    if (!oldest.done) this.map.delete(oldest.value);
    return 1;
  }

  /** Removes `key`; true if it was there. */
  delete(key: K): boolean {
    return this.map.delete(key);
  }

  /** Removes everything. */
  clear(): void {
    this.map.clear();
  }
}
