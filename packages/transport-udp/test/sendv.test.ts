// sendv: one datagram gathered from chunks (a fragment's head and a view of
// its message body), as on an unconnected and on a connected socket.
import { describe, expect, it } from 'vitest';
import { RpcError } from '@udprpc/core';
import { useTransports } from './support.js';

const { open } = useTransports();

function pattern(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = (i * 7 + seed) & 0xff;
  return out;
}

describe('UdpTransport.sendv', () => {
  it('delivers the chunks as one datagram, in order, each a view into a larger buffer', async () => {
    const [a, b] = await Promise.all([open(), open()]);
    const message = pattern(60_000, 1);
    const head = pattern(24, 2);
    a.transport.sendv([head, message.subarray(1_000, 31_000)], b.address);
    a.transport.sendv([Uint8Array.of(1), Uint8Array.of(), Uint8Array.of(2, 3)], b.address);
    await b.waitForDatagrams(2);
    expect(b.received[0]!.bytes).toEqual(Uint8Array.from([...head, ...message.subarray(1_000, 31_000)]));
    expect([...b.received[1]!.bytes]).toEqual([1, 2, 3]);
    expect(a.transport.stats()).toMatchObject({ datagramsSent: 2, sendErrors: 0 });
  });

  it('checks the joined length against maxDatagramBytes: a drop counted and reported, never a throw', async () => {
    const [a, b] = await Promise.all([open({ maxDatagramBytes: 100 }), open()]);
    expect(() => a.transport.sendv([new Uint8Array(60), new Uint8Array(41)], b.address)).not.toThrow();
    await a.waitForErrors(1);
    const error = a.errors[0];
    expect(RpcError.is(error) && error.code).toBe('RESOURCE_EXHAUSTED');
    expect(error?.message).toContain('datagram of 101 bytes');
    expect(a.transport.stats().sendDropsOversize).toBe(1);
    a.transport.sendv([new Uint8Array(60), new Uint8Array(40)], b.address);
    await b.waitForDatagrams(1);
    expect(b.received[0]!.bytes).toHaveLength(100);
  });

  it('sends through a connected socket', async () => {
    const server = await open();
    const client = await open({ connect: { address: '127.0.0.1', port: server.address.port } });
    client.transport.sendv([Uint8Array.of(5), pattern(1000, 3)], server.address);
    await server.waitForDatagrams(1);
    expect(server.received[0]!.bytes).toEqual(Uint8Array.from([5, ...pattern(1000, 3)]));
  });

  it('drops, counts and reports chunks that are not bytes instead of throwing', async () => {
    const [a, b] = await Promise.all([open(), open()]);
    expect(() => a.transport.sendv(null as unknown as Uint8Array[], b.address)).not.toThrow();
    expect(() => a.transport.sendv([null as unknown as Uint8Array], b.address)).not.toThrow();
    expect(a.transport.stats().sendErrors).toBe(2);
    expect(a.errors).toHaveLength(2);
  });
});
