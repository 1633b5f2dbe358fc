// createPskTransport's receive path on a scripted inner transport.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createKeyRing } from '@udprpc/auth-psk';
import { CLIENT, harness, K1, K2, OTHER, request, sealer } from './support.js';

describe('PSK transport: receiving', () => {
  it('delivers an authenticated datagram with authenticatedAs = key id', async () => {
    const h = await harness();
    const seal = sealer({ k1: K1 }, 'k1');
    h.inner.inject(seal(request(7)), CLIENT);
    expect(h.delivered).toEqual([{ bytes: request(7), from: CLIENT, meta: { authenticatedAs: 'k1' } }]);
    expect(h.psk.stats()).toMatchObject({ opened: 1, senders: 1 });
    expect(h.drops).toEqual([]);
  });

  it('accepts both algorithms whatever it seals with itself', async () => {
    const h = await harness({ algorithm: 'aes-256-gcm' });
    h.inner.inject(sealer({ k1: K1 }, 'k1', 'chacha20-poly1305')(request(1)), CLIENT);
    h.inner.inject(sealer({ k1: K1 }, 'k1', 'aes-256-gcm')(request(2)), CLIENT);
    expect(h.delivered.map((d) => d.meta?.authenticatedAs)).toEqual(['k1', 'k1']);
  });

  it('drops and counts plaintext unless allowed, and tells onDrop who sent it', async () => {
    const h = await harness();
    h.inner.inject(request(7), CLIENT);
    expect(h.delivered).toEqual([]);
    expect(h.drops).toEqual([['plaintext', CLIENT]]);
    expect(h.psk.stats().dropped.plaintext).toBe(1);
  });

  it('with allowPlaintext, passes plain frames through with no meta', async () => {
    const h = await harness({ allowPlaintext: true });
    h.inner.inject(request(7), CLIENT);
    expect(h.delivered).toEqual([{ bytes: request(7), from: CLIENT, meta: undefined }]);
    expect(h.psk.stats().plaintextReceived).toBe(1);
  });

  it('drops unknown keys, wrong keys, bit flips and replays, each under its reason', async () => {
    const h = await harness();
    const good = sealer({ k1: K1 }, 'k1');
    const first = good(request(1));
    h.inner.inject(sealer({ k9: K1 }, 'k9')(request(2)), CLIENT);
    h.inner.inject(sealer({ k1: K2 }, 'k1')(request(3)), CLIENT);
    const flipped = good(request(4));
    flipped[flipped.length - 20]! ^= 0x04;
    h.inner.inject(flipped, CLIENT);
    h.inner.inject(first, CLIENT);
    h.inner.inject(first, OTHER); // the same datagram from anywhere else is still a replay
    h.inner.inject(first, CLIENT);
    expect(h.drops.map(([r]) => r)).toEqual(['unknown-key', 'bad-tag', 'bad-tag', 'replay', 'replay']);
    expect(h.drops[3]![1]).toBe(OTHER);
    expect(h.delivered).toHaveLength(1);
    expect(h.psk.stats().dropped).toMatchObject({ 'unknown-key': 1, 'bad-tag': 2, replay: 2, plaintext: 0 });
  });

  it('a forged datagram never moves the replay window', async () => {
    const h = await harness();
    const seal = sealer({ k1: K1 }, 'k1');
    const a = seal(request(1));
    const b = seal(request(2)); // counter one above a's
    const forged = b.slice();
    forged[forged.length - 1]! ^= 1;
    h.inner.inject(forged, CLIENT);
    h.inner.inject(b, CLIENT);
    h.inner.inject(a, CLIENT);
    expect(h.drops.map(([r]) => r)).toEqual(['bad-tag']);
    expect(h.delivered).toHaveLength(2);
  });

  it('stops accepting a key as soon as it is removed from the ring', async () => {
    const keys = createKeyRing({ k1: K1, k2: K2 });
    const h = await harness({ keys });
    h.inner.inject(sealer({ k2: K2 }, 'k2')(request(1)), CLIENT);
    keys.remove('k2');
    h.inner.inject(sealer({ k2: K2 }, 'k2')(request(2)), CLIENT);
    expect(h.delivered.map((d) => d.meta?.authenticatedAs)).toEqual(['k2']);
    expect(h.drops.map(([r]) => r)).toEqual(['unknown-key']);
  });

  it('never throws for any datagram, and counts every one as delivered or dropped', async () => {
    const h = await harness({ allowPlaintext: false });
    const seal = sealer({ k1: K1 }, 'k1');
    const valid = seal(request(1));
    const datagram = fc.oneof(
      fc.uint8Array({ maxLength: 120 }),
      fc.tuple(fc.nat({ max: valid.length * 8 - 1 })).map(([bit]) => {
        const copy = valid.slice();
        copy[bit >> 3]! ^= 1 << (bit & 7);
        return copy;
      }),
      fc.uint8Array({ maxLength: 80 }).map((rest) => Uint8Array.from([0x75, 0x53, 1, 1, 2, 0x6b, 0x31, ...rest])),
    );
    let injected = 0;
    fc.assert(
      fc.property(datagram, (bytes) => {
        expect(() => h.inner.inject(bytes, CLIENT)).not.toThrow();
        injected++;
      }),
      { numRuns: 1000 },
    );
    const s = h.psk.stats();
    const dropped = Object.values(s.dropped).reduce((a, b) => a + b, 0);
    expect(dropped + s.opened).toBe(injected);
    expect(h.drops).toHaveLength(dropped);
  });

  it('reports an onDrop callback that throws through onError instead of throwing', async () => {
    const h = await harness({
      onDrop: () => {
        throw new Error('observer bug');
      },
    });
    expect(() => h.inner.inject(new Uint8Array([1]), CLIENT)).not.toThrow();
    expect(h.errors.map((e) => e.message)).toEqual(['observer bug']);
  });
});

