// The payload codec is named on the wire (protocol.md §5.1 codec byte, §5.7
// registry): a client and a server with different codecs fail with a typed
// UNIMPLEMENTED instead of misreading each other's bytes (issue 12: a JSON
// client and a msgpack server once turned 7 into 55 without any error).
import { describe, expect, it } from 'vitest';
import { CodecId, type Codec } from '@udprpc/core';
import { decodeErrorBody, decodeFrame, encodeMethodName, encodeRequestFrame, FrameType, parseRequestBody } from '@udprpc/core/wire';
import { createClient, createServer, jsonCodec, msgpackCodec, RpcError } from 'udprpc';
import { createRandom, settleAll } from '@udprpc/testkit';
import { recordingNetwork } from './wire-log.js';
import { calc, calcHandlers, createProbe } from '../helpers/calc-service.js';
import { useRawSockets } from '../helpers/raw-socket.js';
import { loopbackHosts, useUdpRpc } from '../helpers/udp-rpc.js';
import { withGuard } from '../helpers/wait.js';

const HOSTS = await loopbackHosts();

/** A server with `serverCodec` and a client with `clientCodec` on a simulated network; every frame delivered is recorded. */
async function simPair(serverCodec: Codec, clientCodec: Codec) {
  const { clock, network, frames } = recordingNetwork(3);
  const a = network.endpoint('server');
  const b = network.endpoint('client');
  const probe = createProbe();
  const server = createServer({ transport: a, codec: serverCodec, clock }).implement(calc, calcHandlers(probe));
  await server.listen();
  const client = createClient({ transport: b, peer: a.address, codec: clientCodec, clock, random: createRandom(5) });
  const close = async (): Promise<void> => {
    await client.close();
    await server.close();
  };
  return { clock, frames, probe, server, client, close };
}

const mismatches: [string, Codec, Codec][] = [
  ['JSON client, msgpack server', jsonCodec, msgpackCodec],
  ['msgpack client, JSON server', msgpackCodec, jsonCodec],
];

describe('codec id on the wire (in-memory simulated network)', () => {
  it('the client puts its codec id in every REQUEST (byte 12 of the body)', async () => {
    for (const codec of [msgpackCodec, jsonCodec]) {
      const p = await simPair(codec, codec);
      const [sum] = await settleAll(p.clock, [p.client.stub(calc).add({ a: 3, b: 4 })], { maxTimeMs: 10_000 });
      expect(sum).toEqual({ status: 'fulfilled', value: 7 });
      const requests = p.frames.filter((f) => f.type === FrameType.REQUEST);
      expect(requests.length).toBeGreaterThan(0);
      for (const r of requests) {
        expect(r.body[12]).toBe(codec.id);
        expect(parseRequestBody(r.body)).toMatchObject({ codec: codec.id, method: 'calc.add' });
      }
      await p.close();
    }
  });

  it.each(mismatches)('%s: the call fails with a remote UNIMPLEMENTED naming both codecs, and the handler never runs', async (_label, clientCodec, serverCodec) => {
    const p = await simPair(serverCodec, clientCodec);
    const [outcome] = await settleAll(p.clock, [p.client.stub(calc).add({ a: 3, b: 4 })], { maxTimeMs: 10_000 });
    expect(outcome!.status).toBe('rejected');
    const error = (outcome as PromiseRejectedResult).reason as RpcError;
    expect(RpcError.is(error)).toBe(true);
    expect(error.code).toBe('UNIMPLEMENTED');
    expect(error.remote).toBe(true);
    expect(error.message).toBe(
      `the request's payload codec is ${clientCodec.name}; this server's codec is ${serverCodec.name} (id ${serverCodec.id})`,
    );
    expect(p.probe.adds).toBe(0);
    // Exactly one REQUEST and one ERROR (code 12) on the wire, no details.
    const errors = p.frames.filter((f) => f.type === FrameType.ERROR);
    expect(errors).toHaveLength(1);
    const body = decodeErrorBody(errors[0]!.body);
    expect(body.ok && body.value.code).toBe(12);
    expect(body.ok && body.value.details.length).toBe(0);
    await p.close();
  });
});

describe.each(HOSTS)('codec id on the wire (real UDP on $host)', ({ host, skip }) => {
  const udp = useUdpRpc();
  const raw = useRawSockets();

  it.skipIf(skip !== undefined).each(mismatches)('%s: UNIMPLEMENTED, handler not run', async (_label, clientCodec, serverCodec) => {
    const { url, probe } = await udp.serve({ host, port: 0, codec: serverCodec });
    const client = udp.connect(url, { codec: clientCodec });
    const error = await withGuard(client.stub(calc).add({ a: 3, b: 4 }).then(() => undefined, (e: unknown) => e), 'the call', 5000);
    expect(RpcError.is(error) && error.code).toBe('UNIMPLEMENTED');
    expect(RpcError.is(error) && error.remote).toBe(true);
    expect(probe.adds).toBe(0);
    // The same pair with matching codecs works.
    const ok = udp.connect(url, { codec: serverCodec });
    await expect(withGuard(ok.stub(calc).add({ a: 3, b: 4 }), 'the call', 5000)).resolves.toBe(7);
  });

  it.skipIf(skip !== undefined)('a REQUEST naming codec 0, or an unregistered one, is answered UNIMPLEMENTED; the right id runs', async () => {
    const { address, probe } = await udp.serve({ host, port: 0, codec: msgpackCodec });
    const socket = await raw.open(host);
    const method = encodeMethodName('calc.add');
    const payload = msgpackCodec.encode({ a: 1, b: 2 });
    const header = (id: number) => ({ type: FrameType.REQUEST, flags: 0, attempt: 0, session: 0x1a2b3c4d, id });
    await socket.send(encodeRequestFrame(header(1), 5000, method, payload, 0xffffffff, 0, 0), address);
    await socket.send(encodeRequestFrame(header(2), 5000, method, payload, 0xffffffff, 0, 77), address);
    await socket.send(encodeRequestFrame(header(3), 5000, method, payload, 0xffffffff, 0, CodecId.MSGPACK), address);
    await socket.waitForReplies(3);
    const replies = new Map(socket.received.map((bytes) => {
      const f = decodeFrame(bytes);
      if (!f.ok) throw new Error(f.error);
      return [f.value.id, f.value] as const;
    }));
    for (const [id, name] of [[1, 'none (0)'], [2, 'unregistered codec 77']] as const) {
      const f = replies.get(id)!;
      expect(f.type).toBe(FrameType.ERROR);
      const e = decodeErrorBody(f.body);
      expect(e.ok && e.value).toMatchObject({ code: 12, message: `the request's payload codec is ${name}; this server's codec is msgpack (id 1)` });
    }
    expect(replies.get(3)!.type).toBe(FrameType.RESPONSE);
    expect([...replies.get(3)!.body]).toEqual([3]);
    expect(probe.adds).toBe(1);
  });
});

describe('codec ids', () => {
  it('are registered: msgpack 1, json 2', () => {
    expect([msgpackCodec.id, jsonCodec.id]).toEqual([CodecId.MSGPACK, CodecId.JSON]);
    expect([CodecId.MSGPACK, CodecId.JSON]).toEqual([1, 2]);
  });

  it('a codec whose id cannot go on the wire is refused with a RangeError (a number out of range) by createServer and createClient', async () => {
    const { a, b } = (await import('@udprpc/testkit')).createLoopbackPair();
    for (const id of [0, 256, -1, 1.5, Number.NaN]) {
      const codec: Codec = { ...jsonCodec, id };
      expect(() => createServer({ transport: a, codec }), `id ${id}`).toThrow(RangeError);
      expect(() => createClient({ transport: b, peer: a.address, codec }), `id ${id}`).toThrow(/options\.codec\.id must be an integer from 1 to 255/);
    }
  });

  it('a codec id that is not a number is a TypeError', async () => {
    const { a, b } = (await import('@udprpc/testkit')).createLoopbackPair();
    const codec = { ...jsonCodec, id: '2' } as unknown as Codec;
    expect(() => createServer({ transport: a, codec })).toThrow(TypeError);
    expect(() => createClient({ transport: b, peer: a.address, codec })).toThrow(/options\.codec\.id must be a number/);
  });
});
