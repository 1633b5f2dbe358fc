import { describe, expect, it } from 'vitest';
import { createKeyRing, generateKey, KeyRing, parseKeyMaterial } from '@udprpc/auth-psk';

const bytes = Uint8Array.from({ length: 32 }, (_, i) => 255 - i);

describe('key material', () => {
  it('accepts 32 bytes, 64 hex digits, base64 and base64url', () => {
    const b64 = Buffer.from(bytes).toString('base64');
    expect(b64).toHaveLength(44);
    expect(parseKeyMaterial('k', bytes)).toEqual(bytes);
    expect(parseKeyMaterial('k', Buffer.from(bytes).toString('hex'))).toEqual(bytes);
    expect(parseKeyMaterial('k', Buffer.from(bytes).toString('hex').toUpperCase())).toEqual(bytes);
    expect(parseKeyMaterial('k', b64)).toEqual(bytes);
    expect(parseKeyMaterial('k', b64.slice(0, 43))).toEqual(bytes);
    expect(parseKeyMaterial('k', Buffer.from(bytes).toString('base64url'))).toEqual(bytes);
  });

  it('copies byte keys, so later changes to the caller’s array do not matter', () => {
    const mine = bytes.slice();
    const parsed = parseKeyMaterial('k', mine);
    mine.fill(0);
    expect(parsed).toEqual(bytes);
  });

  it.each([
    ['31 bytes', new Uint8Array(31)],
    ['33 bytes', new Uint8Array(33)],
    ['a password', 'correct horse battery staple'],
    ['63 hex digits', 'a'.repeat(63)],
    ['hex with a stray character', `${'a'.repeat(63)}g`],
    ['base64 of 31 bytes', Buffer.alloc(31).toString('base64')],
  ])('refuses %s', (_, key) => {
    expect(() => parseKeyMaterial('k', key)).toThrow(RangeError);
  });

  it('refuses material that is neither bytes nor text with a TypeError', () => {
    expect(() => parseKeyMaterial('k', 42 as unknown as string)).toThrow(new TypeError('key "k" must be a Uint8Array or a string (hex or base64), got 42'));
  });

  it('generates distinct 32-byte keys', () => {
    const a = generateKey();
    expect(a).toHaveLength(32);
    expect(a).not.toEqual(generateKey());
  });
});

describe('KeyRing', () => {
  it('adds, lists (oldest first) and removes keys', () => {
    const ring = createKeyRing({ a: generateKey() });
    ring.add('b', generateKey()).add('c', generateKey());
    expect(ring.ids()).toEqual(['a', 'b', 'c']);
    expect(ring.has('b')).toBe(true);
    expect(ring.remove('b')).toBe(true);
    expect(ring.remove('b')).toBe(false);
    expect(ring.size).toBe(2);
  });

  it('refuses to change the meaning of an existing key id', () => {
    const ring = new KeyRing({ a: generateKey() });
    expect(() => ring.add('a', generateKey())).toThrow(/already/);
  });

  it('validates key ids: non-empty, well-formed, at most 32 UTF-8 bytes', () => {
    const ring = new KeyRing();
    expect(() => ring.add('', generateKey())).toThrow(TypeError);
    expect(() => ring.add('\ud800', generateKey())).toThrow(TypeError);
    expect(() => ring.add('x'.repeat(33), generateKey())).toThrow(TypeError);
    expect(() => ring.add('☃'.repeat(11), generateKey())).toThrow(TypeError); // 33 bytes
    ring.add('x'.repeat(32), generateKey());
    ring.add('☃'.repeat(10), generateKey());
    expect(ring.size).toBe(2);
  });

  it('rotate() adds the new key and keeps only the newest `keep`', () => {
    const ring = createKeyRing({ k1: generateKey(), k2: generateKey() });
    expect(ring.rotate('k3', generateKey())).toEqual(['k1']);
    expect(ring.ids()).toEqual(['k2', 'k3']);
    expect(ring.rotate('k4', generateKey(), { keep: 3 })).toEqual([]);
    expect(ring.rotate('k5', generateKey(), { keep: 1 })).toEqual(['k2', 'k3', 'k4']);
    expect(ring.ids()).toEqual(['k5']);
    expect(() => ring.rotate('k6', generateKey(), { keep: 0 })).toThrow(RangeError);
  });
});
