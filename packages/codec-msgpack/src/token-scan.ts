// A cheap pass over untrusted bytes before msgpackr sees them.
//
// Why: msgpackr caches decoded map keys in a process-wide table. With its
// native string extractor (msgpackr-extract, used on Node when installed), a
// payload that is cut short after a non-ASCII map key makes the extractor
// throw after the cache entry for that key was created but before its string
// was stored. From then on, every payload under 180 bytes holding that key
// decodes it as `undefined`, in every msgpackr instance of the process: one
// malformed datagram from anyone would corrupt later, valid calls (seen with
// msgpackr 1.12.1). The extractor only fails on a str/bin/ext token that runs
// past the end, so input that passes this scan cannot trigger it.

// Extension types the codec never writes and refuses to read: record
// definitions (0x72) and bundled strings (0x62) make msgpackr read tokens at
// other offsets than a plain token walk would, and structured-clone ids and
// pointers (0x69, 0x70) build shared or cyclic values.
const refusedExtTypes = new Set([0x62, 0x69, 0x70, 0x72]);

/**
 * Whether `bytes` is a run of whole MessagePack tokens (every str, bin and
 * ext token ends inside the buffer) using no refused extension type. It does
 * not check nesting: msgpackr does that. Never throws.
 */
export function isWholeTokenRun(bytes: Uint8Array): boolean {
  const n = bytes.length;
  let i = 0;
  while (i < n) {
    const t = bytes[i]!;
    // header: bytes before the data; lengthBytes: size of the length field;
    // data: fixed data size (or 0); typeAt: offset of an ext type byte.
    let header = 1;
    let lengthBytes = 0;
    let data = 0;
    let typeAt = -1;
    if (t === 0xc1) {
      // "never used" in the MessagePack spec; msgpackr would hand back an
      // internal sentinel object as if it were a value.
      return false;
    } else if (t <= 0x9f || t >= 0xe0 || t === 0xc0 || t === 0xc2 || t === 0xc3) {
      // fixint, fixmap, fixarray, negative fixint, nil, false, true
    } else if (t <= 0xbf) {
      data = t & 0x1f; // fixstr
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
        case 0xcd: case 0xd1: case 0xdc: case 0xde: data = 2; break; // (u)int 16, array 16, map 16
        case 0xca: case 0xce: case 0xd2: case 0xdd: case 0xdf: data = 4; break; // float 32, (u)int 32, array 32, map 32
        default: data = 8; // 0xcb, 0xcf, 0xd3: float 64, (u)int 64
      }
      header += lengthBytes + (typeAt >= 0 ? 1 : 0);
    }
    if (i + header > n) return false;
    if (lengthBytes === 1) data = u8(bytes, i + 1);
    else if (lengthBytes === 2) data = u16(bytes, i + 1);
    else if (lengthBytes === 4) data = u32(bytes, i + 1);
    if (typeAt >= 0 && refusedExtTypes.has(u8(bytes, i + typeAt))) return false;
    if (data > n - i - header) return false;
    i += header + data;
  }
  return true;
}

// Module-level readers: closures made per call showed up in profiles.
function u8(bytes: Uint8Array, i: number): number {
  return bytes[i]!;
}

function u16(bytes: Uint8Array, i: number): number {
  return (bytes[i]! << 8) | bytes[i + 1]!;
}

function u32(bytes: Uint8Array, i: number): number {
  return ((bytes[i]! << 24) | (bytes[i + 1]! << 16) | (bytes[i + 2]! << 8) | bytes[i + 3]!) >>> 0;
}
