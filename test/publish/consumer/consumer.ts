// Type-checked from the installed tarballs under NodeNext and Bundler module
// resolution (never run): the published .d.ts files must resolve and give
// the types a user relies on.
import { createClient, createServer, defineContract, method, RpcError, type Stub } from 'udprpc';
import { createPskTransport, generateKey } from '@udprpc/auth-psk';
import type { ClientEvents } from '@udprpc/client';
import { run, type CliIo } from '@udprpc/cli';
import { msgpackCodec } from '@udprpc/codec-msgpack';
import { jsonCodec, type Codec, type ErrorCode } from '@udprpc/core';
import { wireName, type MethodMap } from '@udprpc/core/contract';
import { ClientEngine, type CallOutcome } from '@udprpc/core/engine';
import { decodeFrame, encodeFrame, FrameType, type Frame } from '@udprpc/core/wire';
import type { ServerEvents } from '@udprpc/server';
import { SimNetwork, VirtualClock } from '@udprpc/testkit';
import { createUdpTransport } from '@udprpc/transport-udp';

const calc = defineContract('calc', {
  add: method<{ a: number; b: number }, number>(),
  ping: method(),
});

export async function main(): Promise<number> {
  await using server = createServer({ host: '127.0.0.1', port: 0 }).implement(calc, {
    add: ({ a, b }, ctx) => (ctx.signal.aborted ? 0 : a + b),
    ping: () => {},
  });
  const { port } = await server.listen();
  await using client = createClient({ url: `udp://127.0.0.1:${port}`, timeoutMs: 1000 });
  const api: Stub<typeof calc> = client.stub(calc);
  client.on('retry', (info) => void (info.attempt satisfies number));
  server.on('error', (error) => void (error satisfies Error));
  // @ts-expect-error a string is not a number
  await api.add({ a: '1', b: 2 });
  await api.ping();
  const code: ErrorCode = new RpcError('UNAVAILABLE', 'x').code;
  const codecs: Codec[] = [msgpackCodec, jsonCodec];
  const events: [keyof ClientEvents, keyof ServerEvents] = ['retry', 'close'];
  const clock = new VirtualClock();
  const net = new SimNetwork({ clock, seed: 1 });
  const psk = createPskTransport(createUdpTransport({ host: '127.0.0.1' }), { keys: { k: generateKey() }, sendKeyId: 'k' });
  const io: CliIo = { stdout: () => {}, stderr: () => {} };
  // The subpath exports resolve, with their types.
  const bytes = encodeFrame({ type: FrameType.CANCEL, flags: 0, attempt: 0, session: 1, id: 2 }, new Uint8Array(0));
  const decoded = decodeFrame(bytes);
  const frame: Frame | undefined = decoded.ok ? decoded.value : undefined;
  const engine = new ClientEngine({ send: () => {} });
  const outcome: CallOutcome = { ok: true, payload: new Uint8Array(0) };
  const methods: MethodMap = calc.methods;
  void [code, codecs, events, net, psk, frame, engine.session, outcome, methods, wireName(calc, 'add'), await run(['--version'], io)];
  return api.add({ a: 1, b: 2 }, { timeoutMs: 500, signal: AbortSignal.timeout(500) });
}
