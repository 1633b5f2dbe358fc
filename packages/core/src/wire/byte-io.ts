// Big-endian integer reads and writes over a byte array: the one way every
// wire codec lays out its u16 and u32 fields (docs/protocol.md §3: all
// integers are big-endian).

export function writeU32(buf: Uint8Array, off: number, v: number): void {
  buf[off] = v >>> 24;
  buf[off + 1] = (v >>> 16) & 0xff;
  buf[off + 2] = (v >>> 8) & 0xff;
  buf[off + 3] = v & 0xff;
}

export function readU32(buf: Uint8Array, off: number): number {
  return ((buf[off]! << 24) | (buf[off + 1]! << 16) | (buf[off + 2]! << 8) | buf[off + 3]!) >>> 0;
}

export function writeU16(buf: Uint8Array, off: number, v: number): void {
  buf[off] = (v >>> 8) & 0xff;
  buf[off + 1] = v & 0xff;
}

export function readU16(buf: Uint8Array, off: number): number {
  return (buf[off]! << 8) | buf[off + 1]!;
}

/** `n` as a u32 field: negative or NaN is 0, past 2^32−1 saturates, fractions are floored. */
export function clampU32(n: number): number {
  if (!(n > 0)) return 0;
  return n >= 0xffffffff ? 0xffffffff : Math.floor(n);
}

/** Exposed for the fragment layer and tests. */
export const bytesIO = { readU32, writeU32, readU16, writeU16 };
