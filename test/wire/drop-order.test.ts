// Drop-reason order for FRAGMENT_ACK (protocol.md §11, "Order of checks"):
// the body is checked before the call is looked up, on both sides, so a bad
// ack is counted as truncated or malformed whether or not its call is known
// (issue 12, item 5: it used to be unknown-call for an unknown call and
// malformed for a known one).
import { describe, expect, it } from 'vitest';
import { type PeerAddress } from '@udprpc/core';
import { encodeFrame, encodeFragmentAck, encodeMethodName, encodeRequestFrame, FrameType } from '@udprpc/core/wire';
import { ClientEngine, ServerEngine, type IncomingCall } from '@udprpc/core/engine';

const CLIENT: PeerAddress = { address: '192.0.2.10', family: 'IPv4', port: 5000 };
const SERVER: PeerAddress = { address: '192.0.2.1', family: 'IPv4', port: 4000 };
const OTHER: PeerAddress = { address: '192.0.2.99', family: 'IPv4', port: 4000 };

const fragmentAck = (session: number, id: number, body: Uint8Array): Uint8Array =>
  encodeFrame({ type: FrameType.FRAGMENT_ACK, flags: 0, attempt: 0, session, id }, body);
const goodAck = (ackedType: number): Uint8Array => encodeFragmentAck({ ackedType, cumulative: 1, ranges: [] }, 1000);
/** Ranges out of order: [5, 6) then [2, 3). */
const malformedAck = (ackedType: number): Uint8Array => encodeFragmentAck({ ackedType, cumulative: 0, ranges: [[5, 6], [2, 3]] }, 1000);
/** Announces 2 ranges, carries one. */
const truncatedAck = (ackedType: number): Uint8Array => {
  const b = encodeFragmentAck({ ackedType, cumulative: 0, ranges: [[2, 3]] }, 1000);
  b[6] = 2;
  return b;
};

describe('FRAGMENT_ACK drop order at a server: body, then call', () => {
  function serverWithFragmentedReply() {
    const calls: IncomingCall[] = [];
    const engine = new ServerEngine({ send: () => {}, maxDatagramBytes: 200, hooks: { onCall: (c) => calls.push(c) } });
    engine.receive(encodeRequestFrame({ type: FrameType.REQUEST, flags: 0, attempt: 0, session: 7, id: 1 }, 5000, encodeMethodName('a.b'), new Uint8Array(0), 0, 0, 1), CLIENT, 0);
    engine.respondOk(calls[0]!, new Uint8Array(1000), 1); // 6 fragments of 176 bytes
    return engine;
  }

  it.each([
    ['an unknown call', 99],
    ['a call with a reply in fragments', 1],
  ])('for %s: truncated and malformed bodies are counted as such; a good one for an unknown call as unknown-call', (_label, id) => {
    const engine = serverWithFragmentedReply();
    engine.receive(fragmentAck(7, id, truncatedAck(FrameType.RESPONSE)), CLIENT, 2);
    engine.receive(fragmentAck(7, id, malformedAck(FrameType.RESPONSE)), CLIENT, 3);
    engine.receive(fragmentAck(7, id, new Uint8Array(6)), CLIENT, 4);
    engine.receive(fragmentAck(7, 99, goodAck(FrameType.RESPONSE)), CLIENT, 5);
    expect(engine.stats().drops).toEqual({ truncated: 2, malformed: 1, 'unknown-call': 1 });
  });
});

describe('FRAGMENT_ACK drop order at a client: body, then call, then peer', () => {
  function clientWithCall() {
    const client = new ClientEngine({ send: () => {}, random: () => 0.5, codec: 1 });
    const id = client.call({ peer: SERVER, method: encodeMethodName('a.b'), payload: new Uint8Array(0), deadlineAt: 5000 }, 0, () => {});
    if (typeof id !== 'number') throw id;
    return { client, id };
  }

  it('a bad body is truncated or malformed, for an unknown call and from a wrong peer alike', () => {
    const { client, id } = clientWithCall();
    const s = client.session;
    client.receive(fragmentAck(s, id + 1000, truncatedAck(FrameType.REQUEST)), SERVER, 1);
    client.receive(fragmentAck(s ^ 1, id, malformedAck(FrameType.REQUEST)), SERVER, 2);
    client.receive(fragmentAck(s, id, malformedAck(FrameType.REQUEST)), OTHER, 3);
    client.receive(fragmentAck(s, id, truncatedAck(FrameType.REQUEST)), SERVER, 4);
    expect(client.stats().drops).toEqual({ truncated: 2, malformed: 2 });
    // Good bodies then meet the call checks in their order.
    client.receive(fragmentAck(s, id + 1000, goodAck(FrameType.REQUEST)), SERVER, 5);
    client.receive(fragmentAck(s, id, goodAck(FrameType.REQUEST)), OTHER, 6);
    client.receive(fragmentAck(s, id, goodAck(FrameType.REQUEST)), SERVER, 7); // no request transfer
    expect(client.stats().drops).toEqual({ truncated: 2, malformed: 2, 'unknown-call': 1, 'wrong-peer': 1, 'unexpected-frame': 1 });
  });

  it('a malformed ack yields no RTT sample', () => {
    const { client, id } = clientWithCall();
    client.receive(fragmentAck(client.session, id, malformedAck(FrameType.REQUEST)), SERVER, 40);
    expect(client.peerTiming(SERVER)?.srttMs).toBeUndefined();
  });
});
