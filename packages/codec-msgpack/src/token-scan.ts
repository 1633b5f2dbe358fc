// One pass over untrusted bytes before msgpackr sees them: it enforces the
// udprpc MessagePack profile (protocol.md §5.7.1) and tells the decoder which
// of its two msgpackr instances to use.
//
// Why a scan at all: msgpackr caches decoded map keys in a process-wide table.
// With its native string extractor (msgpackr-extract, used on Node when
// installed), a payload that is cut short after a non-ASCII map key makes the
// extractor throw after the cache entry for that key was created but before
// its string was stored. From then on, every payload under 180 bytes holding
// that key decodes it as `undefined`, in every msgpackr instance of the
// process: one malformed datagram from anyone would corrupt later, valid calls
// (seen with msgpackr 1.12.1). The extractor only fails on a str/bin/ext token
// that runs past the end, so input that passes this scan cannot trigger it.
//
// What the profile adds: exactly one value; no extension type but the
// standard timestamp (−1) in its three sizes with valid nanoseconds and a
// time a JavaScript Date can hold; no reserved byte 0xC1; at most
// MAX_NESTING levels of arrays and maps. And whether some map has a key that
// is not a string: such payloads decode maps as `Map`s (msgpackr's object
// mode would turn the keys into strings).

/** Most arrays and maps a value may nest (protocol.md §5.7.1). */
export const MAX_NESTING = 512;

/** What {@link scanPayload} found. */
export const Scan = {
  /** Not a payload of the profile: refuse it. */
  Invalid: 0,
  /** One value whose map keys are all strings (or that has no maps). */
  StringKeys: 1,
  /** One value with at least one map key that is not a string. */
  OtherKeys: 2,
} as const;
export type Scan = (typeof Scan)[keyof typeof Scan];

const TIMESTAMP = 0xff; // ext type −1
const MAX_NANOSECONDS = 999_999_999;
/** Largest |time| of a JavaScript Date, in seconds (±8.64·10^15 ms). */
const MAX_DATE_SECONDS = 8.64e12;

// The container stack, reused across calls (the scan never re-enters):
// items still expected by each open container (a map expects 2 per entry),
// and whether it is a map.
const remaining = new Float64Array(MAX_NESTING);
const isMap = new Uint8Array(MAX_NESTING);

/**
 * Checks that `bytes` is exactly one MessagePack value of the udprpc profile
 * (every token whole, no refused byte or extension, nesting within
 * {@link MAX_NESTING}, nothing after the value) and whether any map key is
 * not a string. Never throws.
 */
export function scanPayload(bytes: Uint8Array): Scan {
  const n = bytes.length;
  let i = 0;
  let depth = 0;
  let result: Scan = Scan.StringKeys;
  while (i < n) {
    const t = bytes[i]!;
    if (depth > 0 && isMap[depth - 1] === 1 && remaining[depth - 1]! % 2 === 0 && !isStrToken(t)) result = Scan.OtherKeys;
    // header: bytes before the data; lengthBytes: size of the length field;
    // data: fixed data size (or 0); typeAt: offset of an ext type byte;
    // items: children of an array or map (-1 for other tokens).
    let header = 1;
    let lengthBytes = 0;
    let data = 0;
    let typeAt = -1;
    let items = -1;
    let mapItems = false;
    if (t <= 0x7f || t >= 0xe0 || t === 0xc0 || t === 0xc2 || t === 0xc3) {
      // fixint, negative fixint, nil, false, true
    } else if (t <= 0x8f) {
      items = t & 0x0f; // fixmap
      mapItems = true;
    } else if (t <= 0x9f) {
      items = t & 0x0f; // fixarray
    } else if (t <= 0xbf) {
      data = t & 0x1f; // fixstr
    } else if (t === 0xc1) {
      // "never used" in the MessagePack spec; msgpackr would hand back an
      // internal sentinel object as if it were a value.
      return Scan.Invalid;
    } else if (t >= 0xd4 && t <= 0xd8) {
      header = 2; // fixext 1, 2, 4, 8, 16
      data = 1 << (t - 0xd4);
      typeAt = 1;
    } else {
      switch (t) {
        case 0xc4: case 0xd9: lengthBytes = 1; break; // bin 8, str 8
        case 0xc5: case 0xda: lengthBytes = 2; break; // bin 16, str 16
        case 0xc6: case 0xdb: lengthBytes = 4; break; // bin 32, str 32
        case 0xc7: lengthBytes = 1; typeAt = 2; break; // ext 8
        case 0xc8: lengthBytes = 2; typeAt = 3; break; // ext 16
        case 0xc9: lengthBytes = 4; typeAt = 5; break; // ext 32
        case 0xcc: case 0xd0: data = 1; break; // (u)int 8
        case 0xcd: case 0xd1: data = 2; break; // (u)int 16
        case 0xca: case 0xce: case 0xd2: data = 4; break; // float 32, (u)int 32
        case 0xdc: header = 3; break; // array 16
        case 0xdd: header = 5; break; // array 32
        case 0xde: header = 3; mapItems = true; break; // map 16
        case 0xdf: header = 5; mapItems = true; break; // map 32
        default: data = 8; // 0xcb, 0xcf, 0xd3: float 64, (u)int 64
      }
      if (t >= 0xdc) items = header === 3 ? u16(bytes, i + 1, n) : u32(bytes, i + 1, n);
      header += lengthBytes + (typeAt >= 0 ? 1 : 0);
    }
    if (i + header > n) return Scan.Invalid;
    if (lengthBytes === 1) data = bytes[i + 1]!;
    else if (lengthBytes === 2) data = u16(bytes, i + 1, n);
    else if (lengthBytes === 4) data = u32(bytes, i + 1, n);
    if (data > n - i - header) return Scan.Invalid;
    if (typeAt >= 0 && !isTimestamp(bytes, bytes[i + typeAt]!, i + header, data)) return Scan.Invalid;
    i += header + data;
    if (items >= 0 && depth === MAX_NESTING) return Scan.Invalid;
    if (items > 0) {
      remaining[depth] = mapItems ? 2 * items : items;
      isMap[depth] = mapItems ? 1 : 0;
      depth++;
      continue;
    }
    // A whole value: it fills one slot of its container, which may complete
    // the container, which fills a slot of its own container, and so on.
    while (depth > 0 && --remaining[depth - 1]! === 0) depth--;
    if (depth === 0) return i === n ? result : Scan.Invalid;
  }
  return Scan.Invalid; // empty, or cut inside a container
}

function isStrToken(t: number): boolean {
  return (t >= 0xa0 && t <= 0xbf) || t === 0xd9 || t === 0xda || t === 0xdb;
}

// The standard timestamp extension (type −1) in its three sizes: 32-bit
// seconds; 30-bit nanoseconds and 34-bit seconds; 32-bit nanoseconds and
// signed 64-bit seconds. Nanoseconds above 999 999 999 are invalid (the spec
// says so), and a time beyond what a Date holds could not be decoded.
function isTimestamp(bytes: Uint8Array, type: number, at: number, length: number): boolean {
  if (type !== TIMESTAMP) return false;
  if (length === 4) return true;
  if (length === 8) return u32(bytes, at, at + 4) >>> 2 <= MAX_NANOSECONDS;
  if (length !== 12 || u32(bytes, at, at + 4) > MAX_NANOSECONDS) return false;
  const high = u32(bytes, at + 4, at + 8) | 0; // signed
  const seconds = high * 0x1_0000_0000 + u32(bytes, at + 8, at + 12);
  return Math.abs(seconds) <= MAX_DATE_SECONDS;
}

// Module-level readers: closures made per call showed up in profiles.
// Reads past `end` yield 0; the caller checks lengths before trusting them.
function u16(bytes: Uint8Array, i: number, end: number): number {
  return i + 2 > end ? 0 : (bytes[i]! << 8) | bytes[i + 1]!;
}

function u32(bytes: Uint8Array, i: number, end: number): number {
  return i + 4 > end ? 0 : ((bytes[i]! << 24) | (bytes[i + 1]! << 16) | (bytes[i + 2]! << 8) | bytes[i + 3]!) >>> 0;
}
