// Issue 11.16: captured sealed requests replayed on OTHER servers holding the
// same key ran there (1000 of 1000 on a second server; the workers of
// startCluster accepted each other's captures): the replay window is per
// receiver, and nothing in a sealed datagram named its receiver. Now every
// sealed datagram is bound to its server and direction (docs/security.md
// §5.6): the associated data ends with `to <server>` (requests) or
// `from <server>` (replies), `<server>` being the address its client sent
// to. A capture opens only at the server it was sealed for.
import { afterEach, describe, expect, it } from 'vitest';
import { formatPeer } from '@udprpc/core';
import { FrameType } from '@udprpc/core/wire';
import { createClient, createServer, defineContract, method, type Client, type Server } from 'udprpc';
import { createKeyRing, createPskTransport, generateKey, openDatagram, receiverBinding, sealDatagram, type PskTransport } from '@udprpc/auth-psk';
import { SimNetwork, VirtualClock, createRandom, settleAll, type SimTransport } from '@udprpc/testkit';
import { framesOf } from '../hardening/meter.js';

const counter = defineContract('counter', { bump: method<number, number>() });
const KEY = generateKey();
const keys = { fleet: KEY };

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

interface Node {
  readonly server: Server;
  readonly psk: PskTransport;
  readonly ep: SimTransport;
  /** Handler runs, by the value each call carried. */
  readonly runs: number[];
  /** Every datagram that reached this server's socket, as captured off the wire. */
  readonly captured: Uint8Array[];
}

async function serve(net: SimNetwork, clock: VirtualClock, name: string): Promise<Node> {
  const ep = net.endpoint(name);
  const captured: Uint8Array[] = [];
  const tapped: SimTransport = Object.assign(Object.create(ep) as SimTransport, {
    listen: (onDatagram: Parameters<SimTransport['listen']>[0], onError: Parameters<SimTransport['listen']>[1]) =>
      ep.listen((bytes, from, meta) => {
        captured.push(bytes.slice());
        onDatagram(bytes, from, meta);
      }, onError),
    send: (bytes: Uint8Array, to: Parameters<SimTransport['send']>[1]) => ep.send(bytes, to),
    close: () => ep.close(),
  });
  const psk = createPskTransport(tapped, { keys, sendKeyId: 'fleet' });
  const server = createServer({ transport: psk, clock, requireAuth: true });
  const runs: number[] = [];
  server.implement(counter, { bump: (n) => (runs.push(n), runs.length) });
  await server.listen();
  closers.push(() => server.close());
  return { server, psk, ep, runs, captured };
}

async function clientOf(net: SimNetwork, clock: VirtualClock, name: string, to: SimTransport): Promise<Client> {
  const client = createClient({ transport: createPskTransport(net.endpoint(name), { keys, sendKeyId: 'fleet' }), peer: to.address, clock, random: createRandom(name.length) });
  closers.push(() => client.close());
  await client.connect();
  return client;
}

describe('sealed datagrams are bound to their receiver (issue 11.16)', () => {
  it('requests captured at server A and replayed to server B (same key) are dropped as bad-tag and counted; B runs nothing; calls to both still work', async () => {
    const clock = new VirtualClock();
    const net = new SimNetwork({ clock, seed: 3, defaults: { delayMs: 1 } });
    const a = await serve(net, clock, 'a');
    const b = await serve(net, clock, 'b');
    const toA = await clientOf(net, clock, 'client-a', a.ep);
    const toB = await clientOf(net, clock, 'client-b', b.ep);

    const N = 50;
    const results = await settleAll(clock, Array.from({ length: N }, (_, i) => toA.stub(counter).bump(i)));
    expect(results.every((r) => r.status === 'fulfilled')).toBe(true);
    expect(a.runs).toHaveLength(N);
    // The captures hold every request (batched: the calls went out in one burst).
    // The attacker only needs the bytes; the test opens them to count.
    const requestFrames = a.captured.flatMap((d) => {
      const opened = openDatagram(d, createKeyRing(keys), receiverBinding('to', formatPeer(a.ep.address)));
      return opened.ok ? framesOf(opened.value.plaintext).filter((f) => f.type === FrameType.REQUEST) : [];
    });
    expect(requestFrames.length).toBeGreaterThanOrEqual(N);

    // The attacker replays every capture to B, from its own address.
    const attacker = net.endpoint('attacker');
    await attacker.listen(() => {}, () => {});
    closers.push(() => attacker.close());
    for (const d of a.captured) attacker.send(d, b.ep.address);
    await clock.runFor(100);
    expect(b.runs).toEqual([]);
    expect(b.psk.stats().dropped['bad-tag']).toBe(a.captured.length);
    expect(b.psk.stats().opened).toBe(0);
    expect(b.server.stats().requests).toBe(0);

    // Both servers still serve their own clients.
    const [ra, rb] = await settleAll(clock, [toA.stub(counter).bump(1000), toB.stub(counter).bump(2000)]);
    expect([ra?.status, rb?.status]).toEqual(['fulfilled', 'fulfilled']);
    expect(a.runs.at(-1)).toBe(1000);
    expect(b.runs).toEqual([2000]);
  });

  it('a capture replayed to the same server is still a replay', async () => {
    const clock = new VirtualClock();
    const net = new SimNetwork({ clock, seed: 4, defaults: { delayMs: 1 } });
    const a = await serve(net, clock, 'a');
    const toA = await clientOf(net, clock, 'client-a', a.ep);
    await settleAll(clock, [toA.stub(counter).bump(1)]);
    const attacker = net.endpoint('attacker');
    await attacker.listen(() => {}, () => {});
    closers.push(() => attacker.close());
    const captured = a.captured.slice();
    for (const d of captured) attacker.send(d, a.ep.address);
    await clock.runFor(50);
    expect(a.runs).toEqual([1]);
    expect(a.psk.stats().dropped.replay).toBe(captured.length);
  });

  it('serverNames: a server reached under another name (NAT) opens requests sealed to that name only', async () => {
    const clock = new VirtualClock();
    const net = new SimNetwork({ clock, seed: 5, defaults: { delayMs: 1 } });
    const ep = net.endpoint('inside');
    const psk = createPskTransport(ep, { keys, sendKeyId: 'fleet', serverNames: ['203.0.113.5:4000'] });
    const delivered: Uint8Array[] = [];
    await psk.listen((bytes) => void delivered.push(bytes), () => {});
    closers.push(() => psk.close());
    const outside = net.endpoint('outside');
    await outside.listen(() => {}, () => {});
    closers.push(() => outside.close());
    const ring = createKeyRing(keys);
    const ping = new Uint8Array([0x75, 0x72, 0x01, 0x06, 0, 0, 0, 0, 0, 1, 0, 0, 0, 7]);
    const sealedFor = (name: string, counter: bigint) => sealDatagram(ping, { keys: ring, keyId: 'fleet', prefix: 77, counter, binding: receiverBinding('to', name) });
    // Sealed to the inside address, which is not a name of this server: dropped.
    outside.send(sealedFor(formatPeer(ep.address), 1n), ep.address);
    // Sealed to the public name (and forwarded inside, as a NAT does): delivered.
    outside.send(sealedFor('203.0.113.5:4000', 2n), ep.address);
    await clock.runFor(5);
    expect(delivered).toEqual([ping]);
    expect(psk.stats()).toMatchObject({ opened: 1, dropped: { 'bad-tag': 1 } });
  });
});
