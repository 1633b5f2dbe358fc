// The sealed format of docs/security.md §5: its bytes, its parse failures,
// and the properties open(seal(x)) == x and "open never throws".
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  createKeyRing,
  generateKey,
  isSealed,
  MAX_SEAL_OVERHEAD_BYTES,
  openDatagram,
  parseSealedHeader,
  receiverBinding,
  sealDatagram,
  sealOverheadBytes,
  type PskAlgorithm,
} from '@udprpc/auth-psk';

// numRuns fixed so CI does the same amount of work on every run; fast-check
// prints the seed and the shrunk counterexample on failure.
const runs = { numRuns: 300 };
const fuzzRuns = { numRuns: 2000 };
const ALGORITHMS: readonly PskAlgorithm[] = ['chacha20-poly1305', 'aes-256-gcm'];

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

// The worked example of security.md §5.5 (checked against an independent
// implementation, Python's `cryptography`, when it was written).
const EXAMPLE_PSK = Uint8Array.from({ length: 32 }, (_, i) => i);
const EXAMPLE_PING = hex('75 72 01 06 00 00 1a 2b 3c 4d 00 00 00 07');
const EXAMPLE_SEALED: Record<PskAlgorithm, string> = {
  'chacha20-poly1305':
    '75 53 01 01 02 6b 31 0a 0b 0c 0d 00 00 00 00 00 00 00 01 ea 36 66 46 b1 b2 5b d0 93 dc ee 4d e7 0b 16 4b f8 26 12 08 14 18 cf 29 b9 f4 00 53 08 a2',
  'aes-256-gcm':
    '75 53 01 02 02 6b 31 0a 0b 0c 0d 00 00 00 00 00 00 00 01 73 2b e6 46 04 92 ff 9a 02 86 a4 78 7c 5e b4 6c 27 d5 47 4e e6 ed 11 b8 f8 b0 88 a8 2d 00',
};

describe('sealed datagram layout (security.md §5)', () => {
  const keys = createKeyRing({ k1: EXAMPLE_PSK });

  it.each(ALGORITHMS)('matches the worked example byte for byte (%s)', (algorithm) => {
    const sealed = sealDatagram(EXAMPLE_PING, { keys, keyId: 'k1', prefix: 0x0a0b0c0d, counter: 1n, algorithm });
    expect(toHex(sealed)).toBe(EXAMPLE_SEALED[algorithm].replace(/ /g, ''));
    const opened = openDatagram(sealed, keys);
    expect(opened).toEqual({ ok: true, value: { plaintext: EXAMPLE_PING, keyId: 'k1', algorithm, prefix: 0x0a0b0c0d, counter: 1n } });
  });

  // security.md §5.6: the same PING sealed to the server 192.0.2.1:4000 (its
  // associated data ends with `to 192.0.2.1:4000`). Only the tag changes;
  // checked against Python's `cryptography` when it was written.
  const BOUND_TAG: Record<PskAlgorithm, string> = {
    'chacha20-poly1305': '53 6b 3a 16 96 33 8a 4c c3 41 2e e8 5a e4 b4 ed',
    'aes-256-gcm': '88 ac 0c 18 d5 e7 3d 7d ff ec f9 e6 ce 1d f2 ac',
  };

  it.each(ALGORITHMS)('matches the bound worked example, and opens only with its binding (%s)', (algorithm) => {
    const binding = receiverBinding('to', '192.0.2.1:4000');
    const sealed = sealDatagram(EXAMPLE_PING, { keys, keyId: 'k1', prefix: 0x0a0b0c0d, counter: 1n, algorithm, binding });
    const unbound = EXAMPLE_SEALED[algorithm].replace(/ /g, '');
    expect(toHex(sealed)).toBe(unbound.slice(0, -32) + BOUND_TAG[algorithm].replace(/ /g, ''));
    expect(openDatagram(sealed, keys, binding).ok).toBe(true);
    for (const other of [receiverBinding('to', '192.0.2.2:4000'), receiverBinding('to', '192.0.2.1:4001'), receiverBinding('from', '192.0.2.1:4000'), new Uint8Array(0)]) {
      expect(openDatagram(sealed, keys, other)).toEqual({ ok: false, error: 'bad-tag' });
    }
  });

  it('starts with uS, never with the plain ur magic, and adds 33 + key-id bytes', () => {
    const sealed = sealDatagram(new Uint8Array(10), { keys, keyId: 'k1', prefix: 1, counter: 0n });
    expect([...sealed.subarray(0, 5)]).toEqual([0x75, 0x53, 0x01, 0x01, 0x02]);
    expect(isSealed(sealed)).toBe(true);
    expect(isSealed(EXAMPLE_PING)).toBe(false);
    expect(sealed.length).toBe(10 + sealOverheadBytes(2));
    expect(sealOverheadBytes(2)).toBe(35);
    expect(MAX_SEAL_OVERHEAD_BYTES).toBe(65);
  });

  it('encodes the full 64-bit counter big-endian and a UTF-8 key id', () => {
    const ring = createKeyRing({ 'clé-☃': generateKey() });
    const sealed = sealDatagram(new Uint8Array(0), { keys: ring, keyId: 'clé-☃', prefix: 0xffffffff, counter: 0xfedcba9876543210n });
    const parsed = parseSealedHeader(sealed);
    expect(parsed.ok && parsed.value).toMatchObject({ keyId: 'clé-☃', prefix: 0xffffffff, counter: 0xfedcba9876543210n });
    expect(sealed[4]).toBe(new TextEncoder().encode('clé-☃').length);
    expect(openDatagram(sealed, ring).ok).toBe(true);
  });

  it('throws (a configuration error) when sealing with a key the ring lacks', () => {
    expect(() => sealDatagram(new Uint8Array(1), { keys, keyId: 'nope', prefix: 1, counter: 1n })).toThrow(TypeError);
  });
});

describe('openDatagram drop reasons (security.md §6)', () => {
  const keys = createKeyRing({ k1: EXAMPLE_PSK });
  const good = (): Uint8Array => sealDatagram(new Uint8Array([1, 2, 3]), { keys, keyId: 'k1', prefix: 7, counter: 9n });
  const patched = (offset: number, value: number): Uint8Array => {
    const copy = good();
    copy[offset] = value;
    return copy;
  };
  const cases: [string, Uint8Array, string][] = [
    ['a plain udprpc frame', EXAMPLE_PING, 'plaintext'],
    ['an empty datagram', new Uint8Array(0), 'plaintext'],
    ['just the magic', hex('7553'), 'truncated'],
    ['a header cut before the key id length', hex('75530101'), 'truncated'],
    ['a datagram one byte short of a tag', good().subarray(0, 5 + 2 + 12 + 15), 'truncated'],
    ['version 0', patched(2, 0), 'unsupported-version'],
    ['version 2', patched(2, 2), 'unsupported-version'],
    ['algorithm 0', patched(3, 0), 'unsupported-algorithm'],
    ['algorithm 3', patched(3, 3), 'unsupported-algorithm'],
    ['a key id of length 0', patched(4, 0), 'malformed'],
    ['a key id of length 33', patched(4, 33), 'malformed'],
    ['a key id that is not UTF-8', patched(5, 0xff), 'malformed'],
    ['an unknown key id', patched(6, 0x32), 'unknown-key'],
    ['a flipped nonce bit (authenticated header)', patched(10, good()[10]! ^ 1), 'bad-tag'],
    ['a flipped ciphertext bit', patched(19, good()[19]! ^ 0x80), 'bad-tag'],
    ['a flipped tag bit', patched(22 + 15, good()[22 + 15]! ^ 1), 'bad-tag'],
    ['the other algorithm byte', patched(3, 2), 'bad-tag'],
  ];
  it.each(cases)('drops %s as %s', (_, bytes, reason) => {
    expect(openDatagram(bytes, keys)).toEqual({ ok: false, error: reason });
  });

  it('rejects a datagram sealed with a different key under the same id', () => {
    const other = createKeyRing({ k1: generateKey() });
    expect(openDatagram(good(), other)).toEqual({ ok: false, error: 'bad-tag' });
  });
});

describe('properties', () => {
  const keyId = fc.string({ minLength: 1, maxLength: 8, unit: 'grapheme' }).filter((s) => new TextEncoder().encode(s).length <= 32);
  const sealInput = fc.record({
    plaintext: fc.uint8Array({ maxLength: 1500 }),
    keyId,
    key: fc.uint8Array({ minLength: 32, maxLength: 32 }),
    algorithm: fc.constantFrom(...ALGORITHMS),
    prefix: fc.integer({ min: 0, max: 0xffffffff }),
    counter: fc.bigInt({ min: 0n, max: 0xffff_ffff_ffff_ffffn }),
  });

  it('open(seal(x)) == x for any bytes, key, key id, algorithm, prefix and counter', () => {
    fc.assert(
      fc.property(sealInput, ({ plaintext, keyId, key, algorithm, prefix, counter }) => {
        const keys = createKeyRing({ [keyId]: key });
        const sealed = sealDatagram(plaintext, { keys, keyId, algorithm, prefix, counter });
        expect(sealed.length).toBe(plaintext.length + sealOverheadBytes(new TextEncoder().encode(keyId).length));
        expect(openDatagram(sealed, keys)).toEqual({ ok: true, value: { plaintext, keyId, algorithm, prefix, counter } });
      }),
      runs,
    );
  });

  it('any single bit flip anywhere makes the datagram fail to open', () => {
    fc.assert(
      fc.property(sealInput, fc.nat(), ({ plaintext, keyId, key, algorithm, prefix, counter }, at) => {
        const keys = createKeyRing({ [keyId]: key });
        const sealed = sealDatagram(plaintext, { keys, keyId, algorithm, prefix, counter });
        const bit = at % (sealed.length * 8);
        sealed[bit >> 3] = sealed[bit >> 3]! ^ (1 << (bit & 7));
        expect(openDatagram(sealed, keys).ok).toBe(false);
      }),
      runs,
    );
  });

  it('every one of the bit flips of a small datagram fails to open', () => {
    const keys = createKeyRing({ k1: EXAMPLE_PSK });
    const sealed = sealDatagram(hex('7572010200001a2b3c4d0000000703'), { keys, keyId: 'k1', prefix: 3, counter: 4n });
    for (let bit = 0; bit < sealed.length * 8; bit++) {
      const copy = sealed.slice();
      copy[bit >> 3] = copy[bit >> 3]! ^ (1 << (bit & 7));
      expect(openDatagram(copy, keys).ok, `bit ${bit}`).toBe(false);
    }
  });

  it('openDatagram never throws, for any bytes', () => {
    const keys = createKeyRing({ k1: EXAMPLE_PSK, ['\u00e9']: generateKey() });
    const anyBytes = fc.uint8Array({ maxLength: 200 });
    // Mostly-valid headers reach deeper checks than random bytes do.
    const nearlySealed = fc
      .tuple(fc.constantFrom(1, 2, 3, 0), fc.integer({ min: 0, max: 40 }), fc.constantFrom('k1', '\u00e9', 'x'), fc.uint8Array({ maxLength: 80 }))
      .map(([alg, len, id, rest]) => {
        const idBytes = new TextEncoder().encode(id);
        return Uint8Array.from([0x75, 0x53, 1, alg, len, ...idBytes, ...rest]);
      });
    fc.assert(
      fc.property(fc.oneof(anyBytes, nearlySealed), (bytes) => {
        const result = openDatagram(bytes, keys);
        expect(typeof result.ok).toBe('boolean');
        expect(() => parseSealedHeader(bytes)).not.toThrow();
      }),
      fuzzRuns,
    );
  });
});
