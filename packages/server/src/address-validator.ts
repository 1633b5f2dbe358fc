import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { AddressValidator } from '@udprpc/core/engine';

/** Token lifetime: an echo must come back within this many ms. */
const TOKEN_LIFETIME_MS = 30_000;
/** The secret is replaced this often; the previous one still verifies. */
const ROTATE_EVERY_MS = 60_000;
const MAC_BYTES = 16;

/**
 * Stateless address-validation tokens (protocol.md §8.3): 4 bytes of mint
 * time (ms on the server clock, truncated to u32) then the first 16 bytes of
 * HMAC-SHA256(secret, time ‖ address|port). Nothing is stored per address; a
 * token is bound to the address it was sent to and expires after 30 s. The
 * secret rotates every minute and the previous one is still accepted.
 */
export function createAddressValidator(random: (n: number) => Uint8Array = randomBytes): AddressValidator {
  let current = random(32);
  let previous = current;
  let rotatedAt: number | undefined;

  const rotate = (now: number): void => {
    if (rotatedAt === undefined) rotatedAt = now;
    if (now - rotatedAt >= ROTATE_EVERY_MS) {
      previous = current;
      current = random(32);
      rotatedAt = now;
    }
  };
  const mac = (secret: Uint8Array, time: Uint8Array, peerKey: string): Buffer =>
    createHmac('sha256', secret).update(time).update(peerKey).digest().subarray(0, MAC_BYTES);

  return {
    mint(peerKey, now) {
      rotate(now);
      const token = new Uint8Array(4 + MAC_BYTES);
      new DataView(token.buffer).setUint32(0, Math.floor(now) >>> 0);
      token.set(mac(current, token.subarray(0, 4), peerKey), 4);
      return token;
    },
    verify(token, peerKey, now) {
      rotate(now);
      if (token.length !== 4 + MAC_BYTES) return false;
      const minted = new DataView(token.buffer, token.byteOffset, 4).getUint32(0);
      const age = ((Math.floor(now) >>> 0) - minted) >>> 0;
      if (age > TOKEN_LIFETIME_MS) return false;
      const given = token.subarray(4);
      const time = token.subarray(0, 4);
      return timingSafeEqual(given, mac(current, time, peerKey)) || timingSafeEqual(given, mac(previous, time, peerKey));
    },
  };
}
