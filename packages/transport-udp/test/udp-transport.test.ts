import { describe, expect, it } from 'vitest';
import { RpcError, type PeerAddress } from '@udprpc/core';
import { MAX_UDP4_PAYLOAD_BYTES, MAX_UDP6_PAYLOAD_BYTES } from '@udprpc/transport-udp';
import { canBind, text, untext, useTransports, type Endpoint } from './support.js';

const { create, open } = useTransports();

async function exchange(a: Endpoint, b: Endpoint): Promise<void> {
  a.transport.send(text('ping'), b.address);
  await b.waitForDatagrams(1);
  const first = b.received[0];
  expect(first && untext(first.bytes)).toBe('ping');
  expect(first?.from).toEqual(a.address);
  // Reply to the PeerAddress we were handed, as a server does.
  b.transport.send(text('pong'), first!.from);
  await a.waitForDatagrams(1);
  expect(a.received[0] && untext(a.received[0].bytes)).toBe('pong');
  expect(a.received[0]?.from).toEqual(b.address);
  expect(a.errors).toEqual([]);
  expect(b.errors).toEqual([]);
}

describe('UDP transport over IPv4 loopback', () => {
  it('binds port 0 to an OS-chosen port and reports the local address', async () => {
    const a = await open();
    expect(a.address).toEqual({ address: '127.0.0.1', family: 'IPv4', port: expect.any(Number) });
    expect(a.address.port).toBeGreaterThan(0);
    expect(a.transport.localAddress).toEqual(a.address);
    expect(a.transport.maxDatagramBytes).toBe(MAX_UDP4_PAYLOAD_BYTES);
  });

  it('exchanges datagrams between two transports', async () => {
    const [a, b] = await Promise.all([open(), open({ host: '127.0.0.1', port: 0 })]);
    await exchange(a, b);
    expect(a.transport.stats()).toMatchObject({ datagramsSent: 1, bytesSent: 4, datagramsReceived: 1, bytesReceived: 4 });
  });

  it('delivers 1000 datagrams with correct, interned peer addresses', async () => {
    const [a, b, c] = await Promise.all([open(), open(), open()]);
    const total = 1000;
    const window = 50; // keep the receive buffer far from full: no loss on loopback
    for (let sent = 0; sent < total; sent += window) {
      for (let i = sent; i < sent + window; i++) {
        (i % 2 === 0 ? a : b).transport.send(text(String(i)), c.address);
      }
      await c.waitForDatagrams(sent + window);
    }
    expect(c.received).toHaveLength(total);
    const seen = new Set<number>();
    for (const { bytes, from } of c.received) {
      const i = Number(untext(bytes));
      seen.add(i);
      expect(from).toEqual((i % 2 === 0 ? a : b).address);
    }
    expect(seen.size).toBe(total);
    // Every datagram from one peer carries the very same PeerAddress object.
    const fromA = new Set<PeerAddress>(c.received.filter((r) => r.from.port === a.address.port).map((r) => r.from));
    expect(fromA.size).toBe(1);
    expect(c.transport.stats()).toMatchObject({ datagramsReceived: total, peerCacheEntries: 2 });
    expect(c.errors).toEqual([]);
  });

  it('passes a Uint8Array view without copying it first (offset and length honoured)', async () => {
    const [a, b] = await Promise.all([open(), open()]);
    const backing = text('xxhelloyy');
    a.transport.send(backing.subarray(2, 7), b.address);
    await b.waitForDatagrams(1);
    expect(untext(b.received[0]!.bytes)).toBe('hello');
  });
});

describe('UDP transport over IPv6 loopback', () => {
  it('exchanges datagrams between two transports on ::1', async (ctx) => {
    const probe = await canBind('::1');
    if (!probe.ok) ctx.skip(`IPv6 loopback cannot be bound here: ${probe.reason}`);
    const [a, b] = await Promise.all([open({ host: '::1' }), open({ host: '::1', type: 'udp6' })]);
    expect(a.address).toEqual({ address: '::1', family: 'IPv6', port: expect.any(Number) });
    expect(a.transport.maxDatagramBytes).toBe(MAX_UDP6_PAYLOAD_BYTES);
    await exchange(a, b);
  });
});

describe('send never throws', () => {
  it('counts sends before listen without throwing', () => {
    const t = create();
    expect(() => t.send(text('x'), { address: '127.0.0.1', family: 'IPv4', port: 9 })).not.toThrow();
    expect(t.stats().sendDropsNotListening).toBe(1);
  });

  it('counts and reports sends after close without throwing', async () => {
    const [a, b] = await Promise.all([open(), open()]);
    await a.transport.close();
    expect(a.transport.localAddress).toBeUndefined();
    expect(() => a.transport.send(text('late'), b.address)).not.toThrow();
    expect(a.transport.stats().sendDropsNotListening).toBe(1);
    expect(a.errors).toHaveLength(1);
    expect(a.errors[0]).toBeInstanceOf(RpcError);
    expect((a.errors[0] as RpcError).code).toBe('FAILED_PRECONDITION');
  });

  it('reports an oversize datagram through onError instead of throwing', async () => {
    const [a, b] = await Promise.all([open(), open()]);
    expect(() => a.transport.send(new Uint8Array(70_000), b.address)).not.toThrow();
    await a.waitForErrors(1);
    const error = a.errors[0];
    expect(RpcError.is(error) && error.code).toBe('RESOURCE_EXHAUSTED');
    expect(error?.message).toContain('70000');
    expect(a.transport.stats().sendDropsOversize).toBe(1);
    // The transport still works afterwards.
    a.transport.send(text('ok'), b.address);
    await b.waitForDatagrams(1);
    expect(b.received).toHaveLength(1);
  });

  it('honours a smaller maxDatagramBytes on send and on receive', async () => {
    const [a, b] = await Promise.all([open(), open({ maxDatagramBytes: 100 })]);
    expect(b.transport.maxDatagramBytes).toBe(100);
    a.transport.send(new Uint8Array(200), b.address);
    a.transport.send(text('small'), b.address);
    await b.waitForDatagrams(1); // loopback keeps order: the big one was read first
    expect(untext(b.received[0]!.bytes)).toBe('small');
    expect(b.transport.stats()).toMatchObject({ datagramsReceived: 2, receiveDropsOversize: 1 });
    b.transport.send(new Uint8Array(101), a.address);
    expect(b.transport.stats().sendDropsOversize).toBe(1);
  });

  it('reports a send the socket rejects asynchronously (send callback error)', async () => {
    const a = await open();
    expect(() => a.transport.send(text('x'), { address: 'not-an-ip', family: 'IPv4', port: 4000 })).not.toThrow();
    await a.waitForErrors(1);
    const error = a.errors[0];
    expect(RpcError.is(error) && error.code).toBe('INVALID_ARGUMENT');
    expect(error?.message).toContain('not-an-ip');
    expect(a.transport.stats().sendErrors).toBe(1);
  });

  it('drops peers this socket cannot reach, and arguments that defy the types', async () => {
    const a = await open();
    a.transport.send(text('x'), { address: '::1', family: 'IPv6', port: 4000 });
    a.transport.send(text('x'), { address: 'node-1', family: 'sim', port: 4000 });
    a.transport.send(text('x'), { address: '127.0.0.1', family: 'IPv4', port: 0 });
    expect(() => a.transport.send(null as unknown as Uint8Array, a.address)).not.toThrow();
    expect(() => a.transport.send(text('x'), undefined as unknown as PeerAddress)).not.toThrow();
    expect(a.transport.stats()).toMatchObject({ sendDropsBadPeer: 3, sendErrors: 2 });
    expect(a.errors.map((e) => (e as RpcError).code)).toEqual([
      'INVALID_ARGUMENT',
      'INVALID_ARGUMENT',
      'INVALID_ARGUMENT',
      'INTERNAL',
      'INTERNAL',
    ]);
  });
});

describe('lifecycle', () => {
  it('close is idempotent and resolves every time', async () => {
    const a = await open();
    const first = a.transport.close();
    expect(a.transport.close()).toBe(first);
    await first;
    await expect(a.transport.close()).resolves.toBeUndefined();
  });

  it('closes a transport that never listened, and refuses to listen afterwards', async () => {
    const t = create();
    await t.close();
    await expect(t.listen(() => {}, () => {})).rejects.toMatchObject({ code: 'FAILED_PRECONDITION' });
  });

  it('refuses a second listen', async () => {
    const a = await open();
    await expect(a.transport.listen(() => {}, () => {})).rejects.toMatchObject({ code: 'FAILED_PRECONDITION' });
  });

  it('reports an onDatagram handler that throws as INTERNAL and keeps receiving', async () => {
    const a = await open();
    const b = create();
    const errors: Error[] = [];
    let calls = 0;
    let twoErrors!: () => void;
    const reported = new Promise<void>((resolve) => (twoErrors = resolve));
    const bAddress = await b.listen(
      () => {
        calls++;
        throw new Error('handler bug');
      },
      (e) => {
        errors.push(e);
        if (errors.length === 2) twoErrors();
      },
    );
    a.transport.send(text('1'), bAddress);
    a.transport.send(text('2'), bAddress);
    await reported;
    expect(calls).toBe(2);
    expect(errors.map((e) => (e as RpcError).code)).toEqual(['INTERNAL', 'INTERNAL']);
    expect(errors[0]?.message).toBe('handler bug');
    expect(b.stats().handlerErrors).toBe(2);
  });

  it('survives an onError callback that throws (a process warning, not a crash)', async () => {
    const t = create();
    await t.listen(
      () => {},
      () => {
        throw new Error('onError bug');
      },
    );
    const warned = new Promise<Error>((resolve) => process.once('warning', resolve));
    expect(() => t.send(new Uint8Array(70_000), { address: '127.0.0.1', family: 'IPv4', port: 9 })).not.toThrow();
    const warning = await warned;
    expect(warning.name).toBe('UdpTransportWarning');
    expect(warning.message).toContain('onError bug');
  });
});
