import { describe, expect, it } from 'vitest';
import { RpcError, type PeerAddress } from '@udprpc/core';
import { text, untext, useTransports, type Endpoint } from './support.js';

const { create, open } = useTransports();

// An organisation-local group (RFC 2365); traffic uses interface 127.0.0.1
// with TTL 0, so it never leaves this host.
const GROUP = '239.255.42.99';
const LOOPBACK = '127.0.0.1';

/** Opens a receiver for GROUP on loopback, or says why the kernel refused. */
async function openGroupReceiver(): Promise<Endpoint | string> {
  let receiver: Endpoint | undefined;
  const reasons: string[] = [];
  // Binding to the group address receives only that group's datagrams; some
  // systems (Windows) refuse it, where the wildcard address is the fallback.
  for (const host of [GROUP, '0.0.0.0']) {
    try {
      receiver = await open({ host, multicastInterface: LOOPBACK, multicastLoopback: true });
      break;
    } catch (e) {
      reasons.push(`bind ${host}: ${(e as Error).message}`);
    }
  }
  if (receiver === undefined) return reasons.join('; ');
  try {
    receiver.transport.addMembership(GROUP, LOOPBACK);
  } catch (e) {
    return `addMembership(${GROUP}, ${LOOPBACK}) refused: ${(e as Error).message}`;
  }
  return receiver;
}

describe('multicast on loopback', () => {
  it('receives a datagram sent to a joined group via interface 127.0.0.1', async (ctx) => {
    const receiver = await openGroupReceiver();
    if (typeof receiver === 'string') return ctx.skip(`the kernel refused loopback multicast: ${receiver}`);
    const sender = await open({ multicastInterface: LOOPBACK, multicastLoopback: true, multicastTtl: 0 });
    sender.transport.setMulticastInterface(LOOPBACK); // also available after listen
    const group: PeerAddress = { address: GROUP, family: 'IPv4', port: receiver.address.port };

    sender.transport.send(text('hello group'), group);
    await Promise.race([receiver.waitForDatagrams(1), sender.waitForErrors(1)]);
    if (receiver.received.length === 0) {
      return ctx.skip(`the kernel refused to send to ${GROUP} on loopback: ${sender.errors[0]?.message}`);
    }
    expect(untext(receiver.received[0]!.bytes)).toBe('hello group');
    expect(receiver.received[0]!.from).toEqual(sender.address);

    receiver.transport.dropMembership(GROUP, LOOPBACK);
    expect(() => receiver.transport.dropMembership(GROUP, LOOPBACK)).toThrow(RpcError);
  });

  it('maps a bad group to an RpcError and needs a listening transport', async () => {
    const t = create();
    expect(() => t.addMembership(GROUP)).toThrow(expect.objectContaining({ code: 'FAILED_PRECONDITION' }));
    expect(() => t.setBroadcast(true)).toThrow(expect.objectContaining({ code: 'FAILED_PRECONDITION' }));
    const a = await open();
    expect(() => a.transport.addMembership('127.0.0.1', LOOPBACK)).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('addMembership 127.0.0.1') }),
    );
    expect(() => a.transport.setBroadcast(true)).not.toThrow();
    expect(() => a.transport.setBroadcast(false)).not.toThrow();
  });
});
