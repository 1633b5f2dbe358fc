// Seeded mutations of valid udprpc frames, for the datagram fuzzer. Every
// generator is a pure function of the PRNG, so a failing run replays from its
// seed. Sizes are bounded: at most MAX_UDP_PAYLOAD (65,507) bytes.
import { FRAGMENT_EXT_BYTES, Flag, HEADER_BYTES, MAX_UDP_PAYLOAD, encodeRequestFrame } from '@udprpc/core/wire';

export type Rng = () => number;

/** The mutation kinds, each drawn with the given weight. */
export const MUTATIONS = [
  ['truncated', 14],
  ['bit-flipped', 20],
  ['spliced', 10],
  ['duplicated-header', 6],
  ['oversized', 1],
  ['random-bytes', 10],
  ['typed-garbage', 16],
  ['absurd-fragment', 12],
  ['request-fields', 11],
] as const;

export type MutationKind = (typeof MUTATIONS)[number][0];

const TOTAL_WEIGHT = MUTATIONS.reduce((sum, [, w]) => sum + w, 0);

function int(rng: Rng, n: number): number {
  return Math.floor(rng() * n);
}

function pick<T>(rng: Rng, items: readonly T[]): T {
  return items[int(rng, items.length)]!;
}

function randomBytes(rng: Rng, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = int(rng, 256);
  return out;
}

function u32(buf: Uint8Array, off: number, v: number): void {
  new DataView(buf.buffer, buf.byteOffset, buf.length).setUint32(off, v >>> 0);
}

/** A header with valid magic and version, then `type`, random flags, attempt, session, id. */
function header(rng: Rng, type: number, flags = int(rng, 256)): Uint8Array {
  const h = randomBytes(rng, HEADER_BYTES);
  h[0] = 0x75;
  h[1] = 0x72;
  h[2] = 1;
  h[3] = type;
  h[4] = flags;
  return h;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

const ABSURD_U32 = [0, 1, 2, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff, 16 * 1024 * 1024, 16 * 1024 * 1024 + 1];
const ABSURD_U16 = [0, 1, 2, 1176, 0x7fff, 0xffff];

/**
 * Builds mutated datagrams from `templates` (valid frames captured from a
 * real client). `next()` returns the next datagram and its kind.
 */
export function createMutator(rng: Rng, templates: readonly Uint8Array[]): () => { kind: MutationKind; bytes: Uint8Array } {
  if (templates.length === 0) throw new Error('the fuzzer needs at least one valid frame to mutate');
  const kindOf = (): MutationKind => {
    let r = rng() * TOTAL_WEIGHT;
    for (const [kind, w] of MUTATIONS) {
      if ((r -= w) < 0) return kind;
    }
    return 'random-bytes';
  };
  const generators: Record<MutationKind, () => Uint8Array> = {
    truncated: () => {
      const t = pick(rng, templates);
      return t.slice(0, int(rng, t.length));
    },
    'bit-flipped': () => {
      const t = pick(rng, templates).slice();
      const flips = 1 + int(rng, 8);
      for (let i = 0; i < flips; i++) {
        const bit = int(rng, t.length * 8);
        t[bit >> 3]! ^= 1 << (bit & 7);
      }
      return t;
    },
    spliced: () => {
      const a = pick(rng, templates);
      const b = pick(rng, templates);
      return concat(a.subarray(0, int(rng, a.length + 1)), b.subarray(int(rng, b.length + 1)));
    },
    'duplicated-header': () => {
      const t = pick(rng, templates);
      const copies = 2 + int(rng, 3);
      const parts: Uint8Array[] = [];
      for (let i = 0; i < copies; i++) parts.push(t.subarray(0, HEADER_BYTES));
      parts.push(t.subarray(HEADER_BYTES));
      return concat(...parts);
    },
    oversized: () => {
      const t = pick(rng, templates);
      const size = Math.max(t.length, MAX_UDP_PAYLOAD - int(rng, 60_000));
      const out = new Uint8Array(size).fill(int(rng, 256));
      out.set(t);
      return out;
    },
    'random-bytes': () => randomBytes(rng, int(rng, 1500)),
    'typed-garbage': () => {
      // Every frame type (and a few unknown ones), with a garbage body.
      const type = int(rng, 13);
      return concat(header(rng, type, int(rng, 256) & ~Flag.FRAGMENT), randomBytes(rng, int(rng, 200)));
    },
    'absurd-fragment': () => {
      const ext = new Uint8Array(FRAGMENT_EXT_BYTES);
      const total = rng() < 0.7 ? pick(rng, ABSURD_U32) : int(rng, 0x1_0000_0000);
      const fragmentBytes = pick(rng, ABSURD_U16);
      const index = rng() < 0.5 ? 0 : pick(rng, ABSURD_U32);
      u32(ext, 0, total);
      u32(ext, 4, index);
      ext[8] = fragmentBytes >> 8;
      ext[9] = fragmentBytes & 0xff;
      // Half the time a body that makes the extension self-consistent.
      let bodyBytes = int(rng, 1200);
      if (rng() < 0.5 && fragmentBytes > 0) {
        const count = Math.ceil(total / fragmentBytes);
        if (index < count) bodyBytes = index === count - 1 ? total - index * fragmentBytes : fragmentBytes;
      }
      const type = pick(rng, [1, 1, 1, 2, 3, 8, 10]);
      return concat(header(rng, type, Flag.FRAGMENT | (int(rng, 256) & ~1)), ext, randomBytes(rng, Math.min(bodyBytes, 1400)));
    },
    'request-fields': () => {
      // A well-formed REQUEST whose fields are hostile: deadlines 0 / 1 / none,
      // unknown or invalid-UTF-8 method names, garbage payloads, and now and
      // then a random byte in the fixed fields (a lying method length).
      const names = ['fuzz.add', 'fuzz.echo', 'fuzz.big', 'fuzz.nope', 'udprpc.describe', '\u00ff\u00fe', ''];
      let name: Uint8Array = new TextEncoder().encode(pick(rng, names));
      if (rng() < 0.2) name = randomBytes(rng, int(rng, 40));
      const h = header(rng, 1, int(rng, 4) & Flag.NO_REPLY);
      const view = new DataView(h.buffer);
      const frame = encodeRequestFrame(
        { type: 1, flags: h[4]!, attempt: h[5]!, session: view.getUint32(6), id: view.getUint32(10) },
        pick(rng, [0, 1, 50, 5000, 0xffffffff]),
        name,
        randomBytes(rng, int(rng, 64)),
        0xffffffff,
        0,
        1, // the fuzzed servers' codec (msgpack, protocol.md §5.7)
      );
      if (rng() < 0.15) frame[HEADER_BYTES + int(rng, 9)] = int(rng, 256);
      return frame;
    },
  };
  return () => {
    const kind = kindOf();
    return { kind, bytes: generators[kind]() };
  };
}
