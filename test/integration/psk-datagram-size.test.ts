// A transport that adds bytes to every datagram (the PSK seal) declares them
// as `overheadBytes`; engines shrink their default datagram size by that much,
// so sealed datagrams still fit the 1200-byte path floor.
import { describe, expect, it } from 'vitest';
import { type Transport } from '@udprpc/core';
import { defaultDatagramBytes } from '@udprpc/core/engine';
import { createPskTransport, generateKey } from '@udprpc/auth-psk';
import { createClient, createServer, defineContract, method } from 'udprpc';
import { settleAll, SimNetwork, VirtualClock } from '@udprpc/testkit';

const echo = defineContract('size', { echo: method<string, string>() });

/** Wraps a transport and records the size of every datagram it sends. */
function measured(inner: Transport, sizes: number[]): Transport {
  return {
    listen: (onDatagram, onError) => inner.listen(onDatagram, onError),
    send: (bytes, to) => {
      sizes.push(bytes.length);
      inner.send(bytes, to);
    },
    close: () => inner.close(),
    ...(inner.maxDatagramBytes === undefined ? {} : { maxDatagramBytes: inner.maxDatagramBytes }),
  };
}

describe('transport overhead and the default datagram size', () => {
  it('defaultDatagramBytes subtracts the overhead within the transport limit', () => {
    const t: Transport = { listen: async () => ({ address: 'x', family: 'sim', port: 1 }), send: () => {}, close: async () => {} };
    expect(defaultDatagramBytes(t)).toBe(1200);
    expect(defaultDatagramBytes({ ...t, maxDatagramBytes: 900 })).toBe(900);
    expect(defaultDatagramBytes({ ...t, overheadBytes: 65 })).toBe(1135);
  });

  it('sealed datagrams of a fragmented call never exceed 1200 bytes on the wire', async () => {
    const clock = new VirtualClock();
    const net = new SimNetwork({ clock, seed: 3, defaults: { delayMs: 1 } });
    const key = generateKey();
    const sizes: number[] = [];
    const serverEnd = net.endpoint('server');
    const server = createServer({ clock, transport: createPskTransport(measured(serverEnd, sizes), { keys: { k: key }, sendKeyId: 'k' }) });
    server.implement(echo, { echo: (s) => s });
    await server.listen();
    const client = createClient({
      clock,
      transport: createPskTransport(measured(net.endpoint('client'), sizes), { keys: { k: key }, sendKeyId: 'k' }),
      peer: serverEnd.address,
    });
    const text = 'x'.repeat(20_000);
    const [r] = await settleAll(clock, [client.stub(echo).echo(text)], { maxTimeMs: 30_000 });
    expect(r).toEqual({ status: 'fulfilled', value: text });
    expect(sizes.length).toBeGreaterThan(30);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(1200);
    await client.close();
    await server.close();
  });
});
