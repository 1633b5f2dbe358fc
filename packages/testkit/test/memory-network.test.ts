import { describe, expect, it } from 'vitest';
import { createLoopbackPair, createMemoryNetwork, flushMicrotasks } from '@udprpc/testkit';

describe('MemoryNetwork', () => {
  it('delivers on a later microtask, in order, with copies', async () => {
    const { a, b, network } = createLoopbackPair();
    const got: number[] = [];
    await b.listen((bytes) => got.push(bytes[0]!), () => {});
    const buffer = Uint8Array.of(1);
    a.send(buffer, b.address);
    buffer[0] = 2;
    a.send(buffer, b.address);
    expect(got).toEqual([]);
    expect(network.stats().inFlight).toBe(2);
    await flushMicrotasks(2);
    expect(got).toEqual([1, 2]);
    expect(network.stats()).toEqual({ sent: 2, delivered: 2, mtuDropped: 0, unreachable: 0, inFlight: 0 });
  });

  it('drops oversize datagrams and ones to nobody, counting them', async () => {
    const network = createMemoryNetwork({ maxDatagramBytes: 8 });
    const a = network.endpoint('client');
    const b = network.endpoint('server');
    expect(a.address).toEqual({ address: 'client', family: 'sim', port: 1 });
    expect(b.maxDatagramBytes).toBe(8);
    a.send(new Uint8Array(9), b.address);
    a.send(new Uint8Array(1), b.address); // b not listening yet
    a.send(new Uint8Array(1), { address: 'x', family: 'sim', port: 9 });
    await flushMicrotasks(2);
    expect(network.stats()).toMatchObject({ sent: 3, delivered: 0, mtuDropped: 1, unreachable: 2 });
  });
});
