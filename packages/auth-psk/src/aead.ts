import { createCipheriv, createDecipheriv, createSecretKey, hkdfSync, type KeyObject } from 'node:crypto';

/** The AEAD algorithms a PSK transport can seal with. Both take 32-byte keys and 12-byte nonces. */
export type PskAlgorithm = 'chacha20-poly1305' | 'aes-256-gcm';

/** Wire numbers of the algorithms (security.md §5.1). */
export const ALGORITHM_IDS: Readonly<Record<PskAlgorithm, number>> = Object.freeze({
  'chacha20-poly1305': 1,
  'aes-256-gcm': 2,
});

/** The algorithm a wire number names, if any. */
export function algorithmFromId(id: number): PskAlgorithm | undefined {
  return id === 1 ? 'chacha20-poly1305' : id === 2 ? 'aes-256-gcm' : undefined;
}

/** Length of a pre-shared key and of each derived AEAD key. */
export const KEY_BYTES = 32;
/** Length of the AEAD nonce. */
export const NONCE_BYTES = 12;
/** Length of the authentication tag. */
export const TAG_BYTES = 16;

/**
 * The AEAD key for `algorithm`, derived from the pre-shared key with
 * HKDF-SHA256 (RFC 5869; empty salt, info `udprpc-psk v1 <algorithm>`), so
 * one PSK never keys two different algorithms (security.md §5.3).
 */
export function deriveAeadKey(psk: Uint8Array, algorithm: PskAlgorithm): KeyObject {
  const okm = hkdfSync('sha256', psk, new Uint8Array(0), `udprpc-psk v1 ${algorithm}`, KEY_BYTES);
  return createSecretKey(new Uint8Array(okm));
}

/**
 * Encrypts `plaintext` into `out` at `offset` (ciphertext, then the 16-byte
 * tag), authenticating `aad` too. `out` must have room for
 * `plaintext.length + TAG_BYTES` bytes from `offset`.
 */
export function sealInto(
  algorithm: PskAlgorithm,
  key: KeyObject,
  nonce: Uint8Array,
  aad: Uint8Array,
  plaintext: Uint8Array,
  out: Uint8Array,
  offset: number,
): void {
  const cipher =
    algorithm === 'aes-256-gcm'
      ? createCipheriv(algorithm, key, nonce, { authTagLength: TAG_BYTES })
      : createCipheriv(algorithm, key, nonce, { authTagLength: TAG_BYTES });
  cipher.setAAD(aad);
  const body = cipher.update(plaintext);
  const rest = cipher.final();
  out.set(body, offset);
  out.set(rest, offset + body.length);
  out.set(cipher.getAuthTag(), offset + plaintext.length);
}

/**
 * Decrypts and verifies `sealed` (ciphertext followed by the tag) with
 * `aad`. Returns the plaintext, or `undefined` if authentication fails.
 * Never throws.
 */
export function openSealed(
  algorithm: PskAlgorithm,
  key: KeyObject,
  nonce: Uint8Array,
  aad: Uint8Array,
  sealed: Uint8Array,
): Uint8Array | undefined {
  if (sealed.length < TAG_BYTES) return undefined;
  const split = sealed.length - TAG_BYTES;
  try {
    // Two calls so each matches its own overload in @types/node.
    const decipher =
      algorithm === 'aes-256-gcm'
        ? createDecipheriv(algorithm, key, nonce, { authTagLength: TAG_BYTES })
        : createDecipheriv(algorithm, key, nonce, { authTagLength: TAG_BYTES });
    decipher.setAuthTag(sealed.subarray(split));
    decipher.setAAD(aad);
    const body = decipher.update(sealed.subarray(0, split));
    const rest = decipher.final(); // throws if the tag does not verify
    if (rest.length === 0) return new Uint8Array(body.buffer, body.byteOffset, body.length);
    const plain = new Uint8Array(body.length + rest.length);
    plain.set(body);
    plain.set(rest, body.length);
    return plain;
  } catch {
    return undefined;
  }
}
