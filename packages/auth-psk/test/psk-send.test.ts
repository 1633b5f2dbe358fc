// createPskTransport's send path (sealing, key choice, reply in kind), and a
// round trip over the testkit's in-memory loopback pair.
import { describe, expect, it } from 'vitest';
import { RpcError, type Transport } from '@udprpc/core';
import { encodeBatch } from '@udprpc/core/wire';
import { createLoopbackPair } from '@udprpc/testkit';
import { createKeyRing, createPskTransport, isSealed, openDatagram, parseSealedHeader, receiverBinding, type KeyRing, type PskTransportOptions } from '@udprpc/auth-psk';
import { CLIENT, harness, K1, K2, OTHER, request, response, scriptedInner, sealer, SERVER, type Delivered } from './support.js';
import { formatPeer } from '@udprpc/core';

// What the harness transport (a server at SERVER) sends is bound (security.md
// §5.6) `from` SERVER when it replies, `to` its peer when it sends a request.
const bindings = [receiverBinding('from', formatPeer(SERVER)), ...[SERVER, CLIENT, OTHER].map((p) => receiverBinding('to', formatPeer(p)))];
function openSent(bytes: Uint8Array, keys: KeyRing): ReturnType<typeof openDatagram> {
  let last = openDatagram(bytes, keys);
  for (const binding of bindings) {
    last = openDatagram(bytes, keys, binding);
    if (last.ok) return last;
  }
  return last;
}

describe('PSK transport: sending', () => {
  it('seals with the send key, never repeating a nonce', async () => {
    const h = await harness();
    h.psk.send(request(1), SERVER);
    h.psk.send(request(1), SERVER);
    const [a, b] = h.inner.sent.map((s) => parseSealedHeader(s.bytes));
    expect(a?.ok && b?.ok).toBe(true);
    if (!a?.ok || !b?.ok) return;
    expect(a.value.keyId).toBe('k1');
    expect(a.value.prefix).toBe(b.value.prefix);
    expect(b.value.counter).toBe(a.value.counter + 1n);
    expect(h.psk.stats().sealed).toBe(2);
  });

  it('switches keys with setSendKey and refuses a key the ring lacks', async () => {
    const keys = createKeyRing({ k1: K1, k2: K2 });
    const h = await harness({ keys });
    expect(() => h.psk.setSendKey('nope')).toThrow(TypeError);
    h.psk.setSendKey('k2');
    expect(h.psk.sendKeyId).toBe('k2');
    h.psk.send(request(1), SERVER);
    const opened = openSent(h.inner.sent[0]!.bytes, keys);
    expect(opened.ok && opened.value.keyId).toBe('k2');
  });

  it('fails a send (onError, counted, nothing sent) once its key is removed — never throws', async () => {
    const keys = createKeyRing({ k1: K1 });
    const h = await harness({ keys });
    keys.remove('k1');
    expect(() => h.psk.send(request(1), SERVER)).not.toThrow();
    expect(h.inner.sent).toEqual([]);
    expect(h.psk.stats().sendFailures).toBe(1);
    expect(RpcError.is(h.errors[0]) && h.errors[0].code).toBe('FAILED_PRECONDITION');
  });

  it('answers each client in kind: with the key its request used, or in plaintext', async () => {
    const keys = createKeyRing({ k1: K1, k2: K2 });
    const h = await harness({ keys, allowPlaintext: true });
    h.inner.inject(sealer({ k2: K2 }, 'k2')(request(0xaaaa)), CLIENT);
    h.inner.inject(request(0xbbbb), OTHER);
    h.psk.send(response(0xaaaa), CLIENT); // k2, not the send key k1
    h.psk.send(response(0xbbbb), OTHER); // plaintext
    h.psk.send(response(0xbbbb), CLIENT); // unknown (peer, session): the send key
    h.psk.send(request(0xbbbb), OTHER); // a request is never a reply: the send key
    const ids = h.inner.sent.map((s) => {
      const o = openSent(s.bytes, keys);
      return o.ok ? o.value.keyId : isSealed(s.bytes) ? 'sealed?' : 'plain';
    });
    expect(ids).toEqual(['k2', 'plain', 'k1', 'k1']);
    expect(h.psk.stats()).toMatchObject({ plaintextSent: 1, sealed: 3 });
  });

  it('a spoofed plaintext frame cannot downgrade or evict replies to an authenticated client', async () => {
    const h = await harness({ allowPlaintext: true, maxSenders: 4 });
    h.inner.inject(sealer({ k1: K1 }, 'k1')(request(0x1111)), CLIENT);
    h.inner.inject(request(0x1111), CLIENT); // even knowing the session
    for (let s = 0; s < 10; s++) h.inner.inject(request(0x5000 + s), CLIENT); // a flood of plaintext sessions
    h.psk.send(response(0x1111), CLIENT);
    expect(isSealed(h.inner.sent[0]!.bytes)).toBe(true);
  });

  it('looks inside batches: requests in a batch are noted, replies in a batch go in kind', async () => {
    const keys = createKeyRing({ k1: K1, k2: K2 });
    const h = await harness({ keys, allowPlaintext: true });
    h.inner.inject(sealer({ k2: K2 }, 'k2')(encodeBatch([request(0xaaaa, 1), request(0xaaaa, 2)])), CLIENT);
    h.inner.inject(encodeBatch([request(0xbbbb, 1)]), OTHER);
    h.psk.send(encodeBatch([response(0xaaaa, 1), response(0xaaaa, 2)]), CLIENT);
    h.psk.send(encodeBatch([response(0xbbbb, 1)]), OTHER);
    h.psk.send(encodeBatch([request(0xaaaa, 3)]), CLIENT); // a batch of requests: the send key
    const first = openSent(h.inner.sent[0]!.bytes, keys);
    expect(first.ok && first.value.keyId).toBe('k2');
    expect(isSealed(h.inner.sent[1]!.bytes)).toBe(false);
    const third = openSent(h.inner.sent[2]!.bytes, keys);
    expect(third.ok && third.value.keyId).toBe('k1');
  });

  it('reports a payload limit that leaves room for the seal', () => {
    const psk = createPskTransport(scriptedInner(1200).transport, { keys: { k1: K1 }, sendKeyId: 'k1' });
    expect(psk.overheadBytes).toBe(65);
    expect(psk.maxDatagramBytes).toBe(1135);
  });

  it('validates its options when created', () => {
    const inner = scriptedInner().transport;
    expect(() => createPskTransport(inner, { keys: { k1: K1 }, sendKeyId: 'k2' })).toThrow(TypeError);
    expect(() => createPskTransport(inner, { keys: { k1: 'short' }, sendKeyId: 'k1' })).toThrow(RangeError);
    expect(() => createPskTransport(inner, { keys: { k1: K1 }, sendKeyId: 'k1', replayWindow: 0 })).toThrow(RangeError);
    expect(() => createPskTransport(inner, { keys: { k1: K1 }, sendKeyId: 'k1', maxSenders: 0 })).toThrow(RangeError);
    const bad = { keys: { k1: K1 }, sendKeyId: 'k1', algorithm: 'rot13' } as unknown as PskTransportOptions;
    expect(() => createPskTransport(inner, bad)).toThrow(TypeError);
  });
});

describe('PSK transport over the testkit loopback pair', () => {
  it('round-trips datagrams both ways, sealed on the wire', async () => {
    const { a, b } = createLoopbackPair();
    const onWire: Uint8Array[] = [];
    const tap: Transport = {
      listen: (handler, onError) =>
        a.listen((bytes, from) => {
          onWire.push(bytes.slice());
          handler(bytes, from);
        }, onError),
      send: (bytes, to) => a.send(bytes, to),
      close: () => a.close(),
    };
    const server = createPskTransport(tap, { keys: { k1: K1 }, sendKeyId: 'k1' });
    const client = createPskTransport(b, { keys: { k1: K1 }, sendKeyId: 'k1' });
    const atServer: Delivered[] = [];
    const atClient: Delivered[] = [];
    await server.listen((bytes, from, meta) => {
      atServer.push({ bytes, from, meta });
      server.send(response(0x42), from);
    }, () => {});
    await client.listen((bytes, from, meta) => void atClient.push({ bytes, from, meta }), () => {});
    client.send(request(0x42), a.address);
    for (let i = 0; i < 100 && atClient.length === 0; i++) await Promise.resolve();
    expect(atServer).toEqual([{ bytes: request(0x42), from: b.address, meta: { authenticatedAs: 'k1' } }]);
    expect(atClient).toEqual([{ bytes: response(0x42), from: a.address, meta: { authenticatedAs: 'k1' } }]);
    expect(onWire).toHaveLength(1);
    expect(isSealed(onWire[0]!)).toBe(true);
    await Promise.all([server.close(), client.close(), server.close()]);
    expect(a.closed && b.closed).toBe(true);
  });
});
