// Issue 11.13: calling an endpoint where nothing listens waited the whole
// deadline (5 s, 21 attempts) although the kernel reported ECONNREFUSED 2 ms
// after the first datagram. Now a connected UDP socket reports each refusal
// to the client (Transport.listen's onUnreachable), and after
// `retry.maxRefusals` (3) in a row with no reply in between every call to
// that server fails with UNAVAILABLE "nothing is listening at udp://...".
// Real UDP on 127.0.0.1; the engine rule is also checked on its own with
// exact counts. Nothing here is decided by timing.
import { createSocket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { type PeerAddress } from '@udprpc/core';
import { encodeFrame, encodeMethodName, FrameType } from '@udprpc/core/wire';
import { ClientEngine, type CallOutcome } from '@udprpc/core/engine';
import { createClient, createUdpTransport, defineContract, method, RpcError, type UdpTransport } from 'udprpc';

const svc = defineContract('svc', { get: method<number, number>() });

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

/** A UDP port on 127.0.0.1 with nothing bound to it: bound, then closed again. */
async function freePort(): Promise<number> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

describe('a call to a UDP port where nothing listens (issue 11.13)', () => {
  it('fails with UNAVAILABLE "nothing is listening at udp://127.0.0.1:port" after 3 refusals, not at its deadline', async () => {
    const port = await freePort();
    const peer: PeerAddress = { address: '127.0.0.1', family: 'IPv4', port };
    const transport: UdpTransport = createUdpTransport({ host: '127.0.0.1', connect: { address: '127.0.0.1', port } });
    const client = createClient({ transport, peer, timeoutMs: 20_000 });
    closers.push(() => client.close());
    const error = await client.stub(svc).get(1).catch((e: unknown) => e);
    expect(RpcError.is(error) && [error.code, error.remote, error.message, error.details]).toEqual([
      'UNAVAILABLE',
      false,
      `nothing is listening at udp://127.0.0.1:${port} (3 refusals in a row: ICMP port unreachable)`,
      { refusals: 3 },
    ]);
    // Exactly three datagrams went out (the first transmission and two
    // retransmissions), each refused; nothing after the call failed.
    expect(transport.stats()).toMatchObject({ datagramsSent: 3, refusalsReported: 3, icmpErrorsIgnored: 0 });
    expect(client.stats()).toMatchObject({ calls: 1, retransmits: 2, timeouts: 1, inFlight: 0, queued: 0, window: { inFlight: 0, queued: 0 } });
  });

  it('the same through createClient({ url }): its connected socket reports the refusals', async () => {
    const port = await freePort();
    const client = createClient({ url: `udp://127.0.0.1:${port}`, timeoutMs: 20_000 });
    closers.push(() => client.close());
    const error = await client.stub(svc).get(1).catch((e: unknown) => e);
    expect(RpcError.is(error) && [error.code, error.details]).toEqual(['UNAVAILABLE', { refusals: 3 }]);
    expect(client.stats()).toMatchObject({ calls: 1, retransmits: 2, timeouts: 1, inFlight: 0 });
  });
});

describe('ClientEngine.unreachable: refusals in a row, reset by any reply', () => {
  const peer: PeerAddress = { address: '10.0.0.1', family: 'IPv4', port: 4000 };
  const other: PeerAddress = { address: '10.0.0.2', family: 'IPv4', port: 4000 };
  const wire = encodeMethodName('svc.get');

  function engine() {
    const sent: Uint8Array[] = [];
    const e = new ClientEngine({ send: (bytes) => void sent.push(bytes), random: () => 0.5 });
    const outcomes = new Map<number, CallOutcome>();
    const call = (to: PeerAddress, at = 0): number => {
      let id = -1;
      const started = e.call({ peer: to, method: wire, payload: new Uint8Array(1), deadlineAt: 10_000 }, at, (o) => outcomes.set(id, o));
      if (typeof started !== 'number') throw started;
      id = started;
      return id;
    };
    return { e, sent, outcomes, call };
  }

  it('fails every call to that server, queued ones too, at the third refusal in a row; calls elsewhere go on', async () => {
    const { e, outcomes, call } = engine();
    const ids = [call(peer), call(peer)];
    const elsewhere = call(other);
    e.unreachable(peer, 1);
    e.unreachable(peer, 2);
    expect(outcomes.size).toBe(0);
    e.unreachable(peer, 3);
    expect(ids.map((id) => { const o = outcomes.get(id); return o?.ok === false ? o.error.code : o; })).toEqual(['UNAVAILABLE', 'UNAVAILABLE']);
    expect(outcomes.has(elsewhere)).toBe(false);
    expect(e.stats()).toMatchObject({ calls: 3, timeouts: 2, inFlight: 1, window: { inFlight: 1, queued: 0 } });
    // The count starts over: a new call needs three refusals again.
    const next = call(peer);
    e.unreachable(peer, 4);
    e.unreachable(peer, 5);
    expect(outcomes.has(next)).toBe(false);
    e.unreachable(peer, 6);
    expect(outcomes.get(next)?.ok).toBe(false);
  });

  it('a reply from the server in between resets the count: a refusal or two among replies fails nothing', async () => {
    const { e, outcomes, call } = engine();
    const waiting = call(peer);
    const answered = call(peer);
    e.unreachable(peer, 1);
    e.unreachable(peer, 2);
    // An ACK for one call is a sign of life from the server.
    e.receive(encodeFrame({ type: FrameType.ACK, flags: 0, attempt: 0, session: e.session, id: answered }, new Uint8Array(0)), peer, 3);
    e.unreachable(peer, 4);
    e.unreachable(peer, 5);
    expect(outcomes.size).toBe(0);
    e.unreachable(peer, 6);
    expect([outcomes.get(waiting)?.ok, outcomes.get(answered)?.ok]).toEqual([false, false]);
  });

  it('says mayHaveRun only for calls sent before the refusals began to a server that had answered (a server that died mid-call)', () => {
    const { e, outcomes, call } = engine();
    const mayHaveRun = (id: number): boolean | undefined => {
      const o = outcomes.get(id);
      return o?.ok === false ? o.error.mayHaveRun : undefined;
    };
    // Nothing has ever answered: a refusal streak means nothing ran.
    const never = call(peer);
    e.unreachable(peer, 1);
    e.unreachable(peer, 2);
    e.unreachable(peer, 3);
    expect(mayHaveRun(never)).toBe(false);
    // The server answers (an ACK: it holds the call), then dies: the call it held may have run.
    const held = call(peer);
    e.receive(encodeFrame({ type: FrameType.ACK, flags: 0, attempt: 0, session: e.session, id: held }, new Uint8Array(0)), peer, 10);
    e.unreachable(peer, 20);
    const during = call(peer, 20.5); // sent after the refusals began, so it was refused too
    e.unreachable(peer, 21);
    e.unreachable(peer, 22);
    expect([mayHaveRun(held), mayHaveRun(during)]).toEqual([true, false]);
  });

  it('a refusal from a server the client never called is ignored', () => {
    const { e } = engine();
    for (let i = 0; i < 5; i++) e.unreachable(other, i);
    expect(e.stats()).toMatchObject({ calls: 0, timeouts: 0 });
  });
});
