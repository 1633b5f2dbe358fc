// The metadata block codec (wire/metadata.ts, protocol.md §5.8) byte for
// byte: every field of the layout, each rule that makes a key, a value or a
// block invalid (with the exact reason given to the caller), the size caps,
// and what a decoded block is charged.
import { describe, expect, it } from 'vitest';
import {
  decodeMetadataBlock,
  DEFAULT_MAX_METADATA_BYTES,
  encodeMetadataBlock,
  MAX_METADATA_BLOCK_BYTES,
  MAX_METADATA_KEY_BYTES,
  Metadata,
  metadataBlockSize,
  metadataKeyProblem,
  metadataRetainedBytes,
  RESERVED_METADATA_PREFIX,
  splitMetadata,
  withMetadataBlock,
} from '../src/wire/metadata.js';

const bytes = (...b: number[]) => new Uint8Array(b);
const ascii = (s: string) => [...s].map((c) => c.charCodeAt(0));

describe('metadata constants', () => {
  it('8192-byte default cap, 65 537-byte largest block, 255-byte keys, udprpc- reserved', () => {
    expect([DEFAULT_MAX_METADATA_BYTES, MAX_METADATA_BLOCK_BYTES, MAX_METADATA_KEY_BYTES, RESERVED_METADATA_PREFIX]).toEqual([8192, 65_537, 255, 'udprpc-']);
  });
});

describe('encodeMetadataBlock', () => {
  it('lays out length, then per entry key length, key, kind, value length, value', () => {
    const block = encodeMetadataBlock({ ab: 'xy', k: bytes(1, 2, 3) }, 8192);
    expect(block).toEqual(bytes(0, 16, 2, ...ascii('ab'), 0, 0, 2, ...ascii('xy'), 1, ...ascii('k'), 1, 0, 3, 1, 2, 3));
  });

  it('writes both bytes of the u16 lengths, and the UTF-8 bytes of a string', () => {
    const value = 'é'.repeat(150); // 300 UTF-8 bytes
    const block = encodeMetadataBlock({ a: value }, 8192) as Uint8Array;
    expect(block.length).toBe(2 + 1 + 1 + 1 + 2 + 300);
    expect([...block.subarray(0, 7)]).toEqual([1, 49, 1, 0x61, 0, 1, 44]); // L = 305, V = 300
    expect([...block.subarray(7, 9)]).toEqual([0xc3, 0xa9]);
    expect(block.length).toBe(2 + 305);
  });

  it('no entries: no block', () => {
    expect(encodeMetadataBlock({}, 8192)).toBeUndefined();
  });

  it('the cap counts the length field: a block of exactly maxBytes is encoded, one byte more is too large', () => {
    // 2 + 4 + 1 + 3 = 10 bytes.
    expect(encodeMetadataBlock({ a: 'xyz' }, 10)).toEqual(bytes(0, 8, 1, 0x61, 0, 0, 3, ...ascii('xyz')));
    expect(encodeMetadataBlock({ a: 'xyzw' }, 10)).toEqual({ problem: 'too-large', message: 'metadata is 11 bytes, above the 10-byte limit' });
  });

  it('a cap above 65 537 acts as 65 537', () => {
    const fits = encodeMetadataBlock({ a: new Uint8Array(65_537 - 7) }, 1e9) as Uint8Array;
    expect([fits.length, fits[0], fits[1]]).toEqual([65_537, 0xff, 0xff]);
    expect(encodeMetadataBlock({ a: new Uint8Array(65_537 - 6) }, 1e9)).toEqual({ problem: 'too-large', message: 'metadata is 65538 bytes, above the 65537-byte limit' });
  });

  it('refuses, with the reason, an invalid key, a reserved key, and a value that is neither string nor bytes', () => {
    expect(encodeMetadataBlock({ Ab: 'x' }, 8192)).toEqual({ problem: 'invalid', message: 'metadata key "Ab" has a character outside a-z 0-9 - _ .' });
    expect(encodeMetadataBlock({ 'udprpc-x': 'x' }, 8192)).toEqual({ problem: 'invalid', message: 'metadata key udprpc-x uses the reserved prefix udprpc-' });
    expect(encodeMetadataBlock({ a: 5 as unknown as string }, 8192)).toEqual({ problem: 'invalid', message: 'metadata value of a must be a string or a Uint8Array, got number' });
    expect(encodeMetadataBlock({ a: null as unknown as string }, 8192)).toEqual({ problem: 'invalid', message: 'metadata value of a must be a string or a Uint8Array, got null' });
    expect(encodeMetadataBlock({ a: '\ud800' }, 8192)).toEqual({ problem: 'invalid', message: 'metadata value of a is not well-formed UTF-16 (a lone surrogate)' });
  });
});

describe('metadataKeyProblem', () => {
  it('accepts exactly a-z 0-9 - _ . and nothing around those ranges', () => {
    expect(metadataKeyProblem('az09-_.')).toBeUndefined();
    // The bytes just outside each range: ` { / : , ^ ` and /.
    for (const c of ['`', '{', '/', ':', ',', '^', '`', 'A', ' ']) {
      expect(metadataKeyProblem(`k${c}`), c).toBe(`metadata key ${JSON.stringify(`k${c}`)} has a character outside a-z 0-9 - _ .`);
    }
  });

  it('a bad character in a long key: the message quotes its first 40 characters only', () => {
    const key = `${'a'.repeat(45)}A`;
    expect(metadataKeyProblem(key)).toBe(`metadata key "${'a'.repeat(40)}" has a character outside a-z 0-9 - _ .`);
  });

  it('1 to 255 characters; a non-string is named by its type', () => {
    expect(metadataKeyProblem('a'.repeat(255))).toBeUndefined();
    expect(metadataKeyProblem('a'.repeat(256))).toBe(`metadata key ${JSON.stringify('a'.repeat(40))} is 256 characters; keys are 1 to 255`);
    expect(metadataKeyProblem('')).toBe('metadata key "" is 0 characters; keys are 1 to 255');
    expect(metadataKeyProblem(7)).toBe('metadata key must be a string, got number');
  });
});

describe('Metadata', () => {
  it('from an object or pairs: entries in order; get, has, size, keys, toObject', () => {
    const m = Metadata.from([
      ['b', 'x'],
      ['a', bytes(1)],
    ]);
    expect([...m]).toEqual([
      ['b', 'x'],
      ['a', bytes(1)],
    ]);
    expect([...m.entries()]).toEqual([...m]);
    expect([...m.keys()]).toEqual(['b', 'a']);
    expect([m.size, m.get('b'), m.has('a'), m.has('c'), m.get('c')]).toEqual([2, 'x', true, false, undefined]);
    const o = m.toObject();
    expect(Object.getPrototypeOf(o)).toBeNull();
    expect({ ...o }).toEqual({ b: 'x', a: bytes(1) });
    expect([...Metadata.from({ __proto__: 'p' } as unknown as Record<string, string>)]).toEqual([]);
    const proto = Metadata.from([['__proto__', 'p']]).toObject();
    expect(Object.keys(proto)).toEqual(['__proto__']);
  });

  it('no entries is the one EMPTY instance', () => {
    expect(Metadata.from({})).toBe(Metadata.EMPTY);
    expect(Metadata.EMPTY.size).toBe(0);
  });

  it('throws a TypeError naming a bad key, a bad value, a key given twice; allows the reserved prefix', () => {
    expect(() => Metadata.from({ A: 'x' })).toThrow(new TypeError('metadata key "A" has a character outside a-z 0-9 - _ .'));
    expect(() => Metadata.from({ a: 1 as unknown as string })).toThrow(new TypeError('metadata value of a must be a string or a Uint8Array, got number'));
    expect(() =>
      Metadata.from([
        ['a', 'x'],
        ['a', 'y'],
      ]),
    ).toThrow(new TypeError('metadata key a is given twice'));
    expect(Metadata.from({ 'udprpc-x': 'y' }).get('udprpc-x')).toBe('y');
  });
});

describe('decodeMetadataBlock', () => {
  const good = bytes(0, 16, 2, ...ascii('ab'), 0, 0, 2, ...ascii('xy'), 1, ...ascii('k'), 1, 0, 3, 1, 2, 3);

  it('decodes each entry, byte values copied out of the datagram', () => {
    const m = decodeMetadataBlock(good) as Metadata;
    expect([...m]).toEqual([
      ['ab', 'xy'],
      ['k', bytes(1, 2, 3)],
    ]);
    good[good.length - 1] = 9;
    expect(m.get('k')).toEqual(bytes(1, 2, 3));
    good[good.length - 1] = 3;
  });

  it('a string value starting with a byte order mark keeps it (the decoder does not strip it)', () => {
    const block = encodeMetadataBlock({ a: '\ufeffx' }, 8192) as Uint8Array;
    expect([...block.subarray(7)]).toEqual([0xef, 0xbb, 0xbf, 0x78]);
    expect((decodeMetadataBlock(block) as Metadata).get('a')).toBe('\ufeffx');
  });

  it('a block with no entries is EMPTY; an empty value is kept', () => {
    expect(decodeMetadataBlock(bytes(0, 0))).toBe(Metadata.EMPTY);
    expect([...(decodeMetadataBlock(bytes(0, 5, 1, 0x61, 0, 0, 0)) as Metadata)]).toEqual([['a', '']]);
    expect([...(decodeMetadataBlock(bytes(0, 5, 1, 0x61, 1, 0, 0)) as Metadata)]).toEqual([['a', bytes()]]);
  });

  it('reads both bytes of the value length', () => {
    const block = new Uint8Array(2 + 4 + 1 + 256);
    block.set([1, 5, 1, 0x61, 1, 1, 0]);
    const m = decodeMetadataBlock(block) as Metadata;
    expect((m.get('a') as Uint8Array).length).toBe(256);
  });

  it('malformed: an empty key, a key or value running past the block, a bad key byte, a key twice, an unknown kind, bad UTF-8', () => {
    expect(decodeMetadataBlock(bytes(0, 4, 0, 0, 0, 0))).toBe('malformed'); // key length 0
    expect(decodeMetadataBlock(bytes(0, 4, 1, 0x61, 0, 0))).toBe('malformed'); // value length field cut
    expect(decodeMetadataBlock(bytes(0, 6, 1, 0x61, 0, 0, 2, 0x78))).toBe('malformed'); // value cut
    expect(decodeMetadataBlock(bytes(0, 5, 1, 0x41, 0, 0, 0))).toBe('malformed'); // 'A'
    expect(decodeMetadataBlock(bytes(0, 10, 1, 0x61, 0, 0, 0, 1, 0x61, 0, 0, 0))).toBe('malformed'); // a twice
    expect(decodeMetadataBlock(bytes(0, 5, 1, 0x61, 2, 0, 0))).toBe('malformed'); // kind 2
    expect(decodeMetadataBlock(bytes(0, 6, 1, 0x61, 0, 0, 1, 0xff))).toBe('malformed'); // not UTF-8
  });

  it('an entry that exactly fills the block is read (bounds are not off by one)', () => {
    expect([...(decodeMetadataBlock(bytes(0, 6, 1, 0x61, 0, 0, 1, 0x78)) as Metadata)]).toEqual([['a', 'x']]);
    expect([...(decodeMetadataBlock(bytes(0, 5, 1, 0x61, 1, 0, 0)) as Metadata)]).toEqual([['a', bytes()]]);
  });
});

describe('metadataBlockSize and splitMetadata', () => {
  it('size is 2 + the length field, read at `at`; truncated when the body is shorter', () => {
    expect(metadataBlockSize(bytes(9, 0, 3, 1, 2, 3), 1)).toBe(5);
    expect(metadataBlockSize(bytes(9, 0, 3, 1, 2), 1)).toBe('truncated');
    expect(metadataBlockSize(bytes(9, 0), 1)).toBe('truncated');
    expect(metadataBlockSize(bytes(9, 0, 0), 1)).toBe(2);
    expect(metadataBlockSize(bytes(1, 0), 0)).toBe('truncated'); // 258 bytes announced
    const big = new Uint8Array(2 + 258);
    big.set([1, 2]);
    expect(metadataBlockSize(big, 0)).toBe(260);
  });

  it('splits the block off the body, in the spec order of checks: truncated, too-large, malformed', () => {
    const body = bytes(0, 6, 1, 0x61, 0, 0, 1, 0x78, 7, 7);
    const split = splitMetadata(body, 8);
    expect(split).toMatchObject({ rest: bytes(7, 7), blockBytes: 8 });
    expect([...(split as { metadata: Metadata }).metadata]).toEqual([['a', 'x']]);
    expect(splitMetadata(body, 7)).toBe('too-large');
    expect(splitMetadata(bytes(0, 6, 1), 0)).toBe('truncated');
    expect(splitMetadata(bytes(0, 1, 0), 100)).toBe('malformed');
  });

  it('withMetadataBlock joins block and rest', () => {
    expect(withMetadataBlock(bytes(1, 2), bytes(3))).toEqual(bytes(1, 2, 3));
  });
});

describe('metadataRetainedBytes', () => {
  it('256 + per entry 64 + key + 2 per UTF-16 unit of a string, or 192 + the bytes of a byte value', () => {
    expect(metadataRetainedBytes(Metadata.EMPTY)).toBe(256);
    expect(metadataRetainedBytes(Metadata.from({ ab: 'xyz' }))).toBe(256 + 64 + 2 + 6);
    expect(metadataRetainedBytes(Metadata.from({ k: bytes(1, 2, 3, 4) }))).toBe(256 + 64 + 1 + 192 + 4);
  });
});
