// Issue 12.7: an idempotent method's reply held back by the anti-amplification
// limit must be kept until the address validates, so that validation costs one
// extra round trip (protocol.md §8.2), not a retransmission and a second run of
// the handler. Before the fix, idempotent replies were never cached: the held
// reply was dropped, the VALIDATE_ECHO found nothing to send, and the client's
// retransmission ran the handler again.
import { afterEach, describe, expect, it } from 'vitest';
import { CodecId } from '@udprpc/core';
import { encodeFrame, encodeMethodName, encodeRequestFrame, FrameType, type Frame } from '@udprpc/core/wire';
import { createClient, createServer, defineContract, method, msgpackCodec, type PeerAddress } from 'udprpc';
import { SimNetwork, VirtualClock, createRandom, settleAll } from '@udprpc/testkit';
import { Meter, framesOf } from './meter.js';

const blobs = defineContract('blobs', {
  /** An idempotent read whose reply (600 bytes) is well over 3× its request, yet fits one datagram. */
  read: method<{ n: number }, Uint8Array>({ idempotent: true }),
});

/** Enough methods that `udprpc.describe` answers more than 3× its request. */
const catalog = defineContract('catalog', {
  listProducts: method<null, string[]>({ idempotent: true }),
  listCategories: method<null, string[]>({ idempotent: true }),
  productDetails: method<number, string>({ idempotent: true }),
  placeOrder: method<number, number>(),
  cancelOrder: method<number, boolean>(),
});

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

async function setUp() {
  const clock = new VirtualClock();
  const net = new SimNetwork({ clock, seed: 12, defaults: { delayMs: 1 } });
  const meter = new Meter(net.endpoint('server'));
  const runs: number[] = [];
  const server = createServer({ transport: meter, clock, coalesce: false });
  server.implement(blobs, {
    read: ({ n }) => {
      runs.push(n);
      return new Uint8Array(600).fill(n);
    },
  });
  server.implement(catalog, {
    listProducts: () => [],
    listCategories: () => [],
    productDetails: () => '',
    placeOrder: (n) => n,
    cancelOrder: () => true,
  });
  closers.push(() => server.close());
  const address = await server.listen();
  return { clock, net, meter, runs, server, address };
}

const names = new Map<number, string>(Object.entries(FrameType).map(([name, type]) => [type, name]));
const nameOf = (type: number): string => names.get(type) ?? `type ${type}`;

describe('an idempotent reply held back by address validation (issue 12.7)', () => {
  it('is kept and sent on the echo: REQUEST, VALIDATE, VALIDATE_ECHO, RESPONSE; the handler runs once', async () => {
    const { clock, net, meter, runs, server, address } = await setUp();
    const ep = net.endpoint('client');
    const client = createClient({ transport: ep, peer: address, clock, random: createRandom(5) });
    closers.push(() => client.close());
    const stub = client.stub(blobs);
    const started = clock.now();
    const [r] = await settleAll(clock, [stub.read({ n: 7 })]);
    expect(r.status === 'fulfilled' && r.value.length).toBe(600);
    const elapsed = clock.now() - started;
    await clock.runFor(5000); // anything still to come (a retransmission) comes now
    expect(runs).toEqual([7]);
    const id = meter.received.find((x) => x.frame.type === FrameType.REQUEST)!.frame.id;
    // In and out are two lists; with one call in flight each step causes the
    // next (request → challenge → echo → reply), so their order is the sequence.
    expect(meter.received.filter((x) => x.frame.id === id).map((x) => nameOf(x.frame.type))).toEqual(['REQUEST', 'VALIDATE_ECHO']);
    expect(meter.sent.filter((x) => x.frame.id === id).map((x) => nameOf(x.frame.type))).toEqual(['VALIDATE', 'RESPONSE']);
    expect([...meter.received, ...meter.sent].filter((x) => x.frame.id === id && x.frame.attempt !== 0)).toEqual([]);
    // Two round trips on 1 ms links: request/challenge, echo/reply.
    expect(elapsed).toBe(4);
    expect(server.stats()).toMatchObject({ validations: 1, responses: 1, amplificationBlocked: 1 });
    expect(client.stats()).toMatchObject({ validations: 1, retransmits: 0 });
  });

  it('udprpc.describe from a raw peer: the reply comes back on the echo, and a retransmission after it is answered from the cache', async () => {
    const { clock, net, meter, server, address } = await setUp();
    const ep = net.endpoint('raw');
    const got: Frame[] = [];
    await ep.listen((bytes) => got.push(...framesOf(bytes)), () => {});
    closers.push(() => ep.close());
    const send = (bytes: Uint8Array, to: PeerAddress = address): void => ep.send(bytes, to);
    const request = (attempt: number): Uint8Array =>
      encodeRequestFrame({ type: FrameType.REQUEST, flags: 0, attempt, session: 99, id: 1 }, 5000, encodeMethodName('udprpc.describe'), msgpackCodec.encode(null), undefined, undefined, CodecId.MSGPACK);
    send(request(0));
    await clock.runFor(5);
    expect(got.map((f) => nameOf(f.type))).toEqual(['VALIDATE']);
    const challenge = got[0]!;
    send(encodeFrame({ type: FrameType.VALIDATE_ECHO, flags: 0, attempt: 0, session: 99, id: 1 }, challenge.body));
    await clock.runFor(5);
    expect(got.map((f) => nameOf(f.type))).toEqual(['VALIDATE', 'RESPONSE']);
    const reply = got[1]!;
    expect(msgpackCodec.decode(reply.body)).toMatchObject({ ok: true, value: [{ service: 'blobs' }, { service: 'catalog' }] });
    // A retransmission (say the reply was lost) gets the same bytes, without a second run.
    send(request(1));
    await clock.runFor(5);
    expect(got.map((f) => nameOf(f.type))).toEqual(['VALIDATE', 'RESPONSE', 'RESPONSE']);
    expect(got[2]!.body).toEqual(reply.body);
    expect(got[2]!.attempt).toBe(1);
    expect(server.stats()).toMatchObject({ requests: 1, responses: 1, duplicatesReplayed: 1, validations: 1 });
    expect(meter.sent.map((x) => nameOf(x.frame.type))).toEqual(['VALIDATE', 'RESPONSE', 'RESPONSE']);
  });
});

