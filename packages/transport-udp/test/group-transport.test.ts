import { afterEach, describe, expect, it } from 'vitest';
import type { PeerAddress } from '@udprpc/core';
import {
  createGroupTransport,
  createUdpTransport,
  isMulticastAddress,
  type GroupTransport,
  type GroupTransportOptions,
} from '@udprpc/transport-udp';
import { text, untext, useTransports } from './support.js';

// Loopback only: the group is joined on 127.0.0.1 and senders use TTL 0.
const GROUP = '239.255.42.17';
const LOOPBACK = '127.0.0.1';
const GUARD_MS = 10_000;

const { open } = useTransports();
const members: GroupTransport[] = [];
afterEach(async () => {
  await Promise.all(members.splice(0).map((m) => m.close()));
});

interface Member {
  readonly transport: GroupTransport;
  readonly address: PeerAddress;
  readonly received: { text: string; from: PeerAddress }[];
  readonly errors: Error[];
}

/** A group member that echoes every datagram back as `<name>:<text>`. */
async function openMember(name: string, options: GroupTransportOptions): Promise<Member> {
  const transport = createGroupTransport(options);
  members.push(transport);
  const received: Member['received'] = [];
  const errors: Error[] = [];
  const address = await transport.listen(
    (bytes, from) => {
      received.push({ text: untext(bytes), from });
      transport.send(text(`${name}:${untext(bytes)}`), from);
    },
    (error) => errors.push(error),
  );
  return { transport, address, received, errors };
}

/** Resolves once `done()` holds, checked on each datagram; rejects after a hang guard. */
function until(done: () => boolean, wake: Set<() => void>, what: () => string): Promise<void> {
  return new Promise((resolve, reject) => {
    if (done()) return resolve();
    const guard = setTimeout(() => {
      wake.delete(check);
      reject(new Error(`gave up waiting for ${what()}`));
    }, GUARD_MS);
    const check = (): void => {
      if (!done()) return;
      clearTimeout(guard);
      wake.delete(check);
      resolve();
    };
    wake.add(check);
  });
}

describe('createGroupTransport on loopback multicast', () => {
  it('delivers a group datagram to every member, each answering from its own address', async () => {
    const a = await openMember('a', { group: GROUP, port: 0, interface: LOOPBACK });
    const groupAddress = a.transport.groupAddress!;
    expect(groupAddress).toEqual({ address: GROUP, family: 'IPv4', port: expect.any(Number) });
    expect(groupAddress.port).toBeGreaterThan(0);
    const b = await openMember('b', { group: GROUP, port: groupAddress.port, interface: LOOPBACK });
    const c = await openMember('c', { group: GROUP, port: groupAddress.port, interface: LOOPBACK });
    for (const m of [a, b, c]) {
      expect(m.address).toEqual(m.transport.localAddress);
      expect(m.address.address).toBe(LOOPBACK); // the unicast socket binds the interface address
      expect(m.address.port).not.toBe(groupAddress.port);
    }

    const replies: { text: string; from: PeerAddress }[] = [];
    const wake = new Set<() => void>();
    const sender = createUdpTransport({ host: LOOPBACK, multicastInterface: LOOPBACK, multicastTtl: 0, multicastLoopback: true });
    try {
      const senderAddress = await sender.listen(
        (bytes, from) => {
          replies.push({ text: untext(bytes), from });
          wake.forEach((w) => w());
        },
        () => {},
      );
      sender.send(text('hello'), groupAddress);
      await until(() => replies.length >= 3, wake, () => `3 replies (got ${replies.length})`);
      expect(replies.map((r) => r.text).sort()).toEqual(['a:hello', 'b:hello', 'c:hello']);
      const byName = new Map(replies.map((r) => [r.text[0], r.from]));
      expect(byName.get('a')).toEqual(a.address);
      expect(byName.get('b')).toEqual(b.address);
      expect(byName.get('c')).toEqual(c.address);
      for (const m of [a, b, c]) {
        expect(m.received).toEqual([{ text: 'hello', from: senderAddress }]);
        expect(m.transport.stats().group.datagramsReceived).toBe(1);
        expect(m.transport.stats().unicast.datagramsSent).toBe(1);
        expect(m.transport.stats().group.datagramsSent).toBe(0);
      }

      // A datagram to one member's unicast address reaches that member only.
      sender.send(text('direct'), b.address);
      await until(() => replies.length >= 4, wake, () => `the direct reply (got ${replies.length - 3})`);
      expect(replies[3]).toEqual({ text: 'b:direct', from: b.address });
      expect(b.transport.stats().unicast.datagramsReceived).toBe(1);
    } finally {
      await sender.close();
    }
  });

  it('releases both sockets on close', async () => {
    const m = await openMember('m', { group: GROUP, port: 0, interface: LOOPBACK });
    const groupPort = m.transport.groupAddress!.port;
    await m.transport.close();
    await m.transport.close(); // idempotent
    expect(m.transport.localAddress).toBeUndefined();
    expect(m.transport.groupAddress).toBeUndefined();
    // Both ports can be bound again without SO_REUSEADDR.
    const again = [createUdpTransport({ host: LOOPBACK, port: m.address.port }), createUdpTransport({ host: GROUP, port: groupPort })];
    try {
      for (const t of again) await expect(t.listen(() => {}, () => {})).resolves.toMatchObject({ port: expect.any(Number) });
    } finally {
      await Promise.all(again.map((t) => t.close()));
    }
  });

  it('binds the unicast socket to unicastPort when given', async () => {
    const probe = await open({ host: LOOPBACK });
    const free = probe.address.port;
    await probe.transport.close();
    const m = await openMember('m', { group: GROUP, port: 0, interface: LOOPBACK, unicastPort: free });
    expect(m.address).toEqual({ address: LOOPBACK, family: 'IPv4', port: free });
  });

  it('maps a port held without SO_REUSEADDR to UNAVAILABLE, and listen can then be retried', async () => {
    const holder = await open({ host: GROUP });
    const t = createGroupTransport({ group: GROUP, port: holder.address.port, interface: LOOPBACK });
    members.push(t);
    await expect(t.listen(() => {}, () => {})).rejects.toMatchObject({
      code: 'UNAVAILABLE',
      message: expect.stringContaining('address already in use (EADDRINUSE)'),
    });
    await holder.transport.close();
    await expect(t.listen(() => {}, () => {})).resolves.toMatchObject({ address: LOOPBACK });
    expect(t.groupAddress?.port).toBe(holder.address.port);
  });

  it('maps a membership on an interface this host lacks', async () => {
    // 192.0.2.0/24 is TEST-NET-1 (RFC 5737); nothing is sent.
    const t = createGroupTransport({ group: GROUP, port: 0, interface: '192.0.2.77', host: LOOPBACK });
    members.push(t);
    const error = await t.listen(() => {}, () => {}).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: expect.stringMatching(/^(UNAVAILABLE|INVALID_ARGUMENT)$/), message: expect.stringContaining(`addMembership ${GROUP} on 192.0.2.77`) });
    expect(t.localAddress).toBeUndefined();
  });

  it('rejects listen when closed while binding, and a second listen', async () => {
    const t = createGroupTransport({ group: GROUP, port: 0, interface: LOOPBACK });
    members.push(t);
    const listening = t.listen(() => {}, () => {});
    const closed = t.close();
    await expect(listening).rejects.toMatchObject({ code: 'CANCELLED' });
    await closed;
    await expect(t.listen(() => {}, () => {})).rejects.toMatchObject({ code: 'FAILED_PRECONDITION' });

    const u = await openMember('u', { group: GROUP, port: 0, interface: LOOPBACK });
    await expect(u.transport.listen(() => {}, () => {})).rejects.toMatchObject({ code: 'FAILED_PRECONDITION' });
  });
});

describe('createGroupTransport options', () => {
  // Bad options throw from createGroupTransport itself: test/config-errors.test.ts.

  it('tells multicast addresses apart', () => {
    expect(['224.0.0.1', '239.255.255.255', 'ff02::1', 'FF15::abcd'].map(isMulticastAddress)).toEqual([true, true, true, true]);
    expect(['223.255.255.255', '240.0.0.1', '127.255.255.255', '::1', 'fe80::1', 'nope'].map(isMulticastAddress)).toEqual([false, false, false, false, false, false]);
  });
});

describe('createGroupTransport on IPv6 and broadcast', () => {
  it('joins an IPv6 group and answers from ::1 (delivery depends on multicast on lo)', async (ctx) => {
    let m: Member;
    try {
      m = await openMember('v6', { group: 'ff15::7a11', port: 0, interface: '::%lo', host: '::1', ttl: 0, loopback: true });
    } catch (e) {
      return ctx.skip(`the kernel refused an IPv6 group on loopback: ${(e as Error).message}`);
    }
    expect(m.address).toMatchObject({ address: '::1', family: 'IPv6' });
    expect(m.transport.groupAddress).toMatchObject({ address: 'ff15::7a11', family: 'IPv6' });
    const sender = await open({ host: '::1', multicastInterface: '::%lo', multicastTtl: 0, multicastLoopback: true });
    sender.transport.send(text('v6?'), m.transport.groupAddress!);
    // Skip rather than fail when the kernel does not deliver (Linux lo has no MULTICAST flag by default).
    let probe: ReturnType<typeof setTimeout> | undefined;
    const gaveUp = new Promise<void>((resolve) => (probe = setTimeout(resolve, 2000)));
    await Promise.race([sender.waitForDatagrams(1), sender.waitForErrors(1), gaveUp]).catch(() => {});
    clearTimeout(probe);
    if (sender.received.length === 0) {
      return ctx.skip(`IPv6 multicast is not delivered on loopback here: ${sender.errors[0]?.message ?? 'nothing arrived within 2 s'}`);
    }
    expect(untext(sender.received[0]!.bytes)).toBe('v6:v6?');
    expect(sender.received[0]!.from).toEqual(m.address);
  });

  it('receives broadcasts to 127.255.255.255 on every member (Linux loopback)', async (ctx) => {
    const BROADCAST = '127.255.255.255';
    let a: Member;
    let b: Member;
    try {
      a = await openMember('a', { group: BROADCAST, port: 0, broadcast: true, host: LOOPBACK });
      b = await openMember('b', { group: BROADCAST, port: a.transport.groupAddress!.port, broadcast: true, host: LOOPBACK });
    } catch (e) {
      return ctx.skip(`this host cannot bind the loopback broadcast address: ${(e as Error).message}`);
    }
    const sender = await open({ host: LOOPBACK, broadcast: true });
    sender.transport.send(text('anyone?'), a.transport.groupAddress!);
    await Promise.race([sender.waitForDatagrams(2), sender.waitForErrors(1)]).catch(() => {});
    if (sender.received.length < 2) return ctx.skip(`the kernel refused loopback broadcast: ${sender.errors[0]?.message}`);
    expect(sender.received.map((r) => untext(r.bytes)).sort()).toEqual(['a:anyone?', 'b:anyone?']);
    expect(new Set(sender.received.map((r) => r.from.port))).toEqual(new Set([a.address.port, b.address.port]));
  });
});
