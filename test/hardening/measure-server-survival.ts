// Figures for docs/security.md, "Measured after the survival fixes" (issue 11
// items 1, 7, 8, 9 and issue 12 item 7). Not a test: it prints one line per
// item. Everything but 11.9 runs on the testkit's simulated network and
// virtual clock, so the figures are exact and repeatable; 11.9 binds real
// sockets on 127.0.0.1.
//
//   node --expose-gc --import tsx --conditions=@udprpc/source test/hardening/measure-server-survival.ts [item ...]
//
// Items: 11.1 11.7 11.8 11.9 12.7 (default: all).
import { createSocket } from 'node:dgram';
import { type PeerAddress, CodecId } from '@udprpc/core';
import { encodeFrame, encodeMethodName, encodeRequestFrame, FrameType, type Frame } from '@udprpc/core/wire';
import { createClient, createServer, defineContract, method, msgpackCodec, RpcError, type Server } from 'udprpc';
import { SimNetwork, VirtualClock, createRandom, settleAll, type SimTransport } from '@udprpc/testkit';
import { framesOf } from './meter.js';

const svc = defineContract('survival', {
  once: method<{ bytes: number }, Uint8Array>(),
  read: method<{ n: number }, Uint8Array>({ idempotent: true }),
  hang: method<null, number>(),
  echo: method<{ n: number }, number>(),
  crash: method<null, number>(),
  unencodable: method<null, number>(),
});

interface Rig {
  clock: VirtualClock;
  net: SimNetwork;
  server: Server;
  address: PeerAddress;
  raw: SimTransport;
  got: Frame[];
  runs: Map<string, number>;
  send(bytes: Uint8Array): void;
}

async function rig(options: Parameters<typeof createServer>[0] = {}): Promise<Rig> {
  const clock = new VirtualClock();
  const net = new SimNetwork({ clock, seed: 1, defaults: { delayMs: 1 } });
  const server = createServer({ ...options, transport: net.endpoint('server'), clock });
  const runs = new Map<string, number>();
  const ran = (name: string): void => void runs.set(name, (runs.get(name) ?? 0) + 1);
  server.implement(svc, {
    once: ({ bytes }) => (ran('once'), new Uint8Array(bytes)),
    read: ({ n }) => (ran('read'), new Uint8Array(600).fill(n)),
    hang: () => (ran('hang'), new Promise<number>(() => {})),
    echo: ({ n }) => (ran('echo'), n),
    crash: () => {
      ran('crash');
      throw new Error('boom');
    },
    unencodable: () => (ran('unencodable'), (() => 1) as unknown as number),
  });
  const address = await server.listen();
  const raw = net.endpoint('raw');
  const got: Frame[] = [];
  await raw.listen((bytes) => got.push(...framesOf(bytes)), () => {});
  return { clock, net, server, address, raw, got, runs, send: (bytes) => raw.send(bytes, address) };
}

const wireNames = new Map<string, Uint8Array>();
function request(id: number, name: string, input: unknown, deadlineMs = 1000, attempt = 0): Uint8Array {
  let wire = wireNames.get(name);
  if (wire === undefined) wireNames.set(name, (wire = encodeMethodName(name)));
  return encodeRequestFrame({ type: FrameType.REQUEST, flags: 0, attempt, session: 77, id }, deadlineMs, wire, msgpackCodec.encode(input), undefined, undefined, CodecId.MSGPACK);
}
const ping = (id: number): Uint8Array => encodeFrame({ type: FrameType.PING, flags: 0, attempt: 0, session: 77, id }, new Uint8Array(0));
const count = (got: Frame[], type: number): number => got.filter((f) => f.type === type).length;
const gc = (): void => (globalThis as { gc?: () => void }).gc?.();
const mb = (n: number): string => `${(n / 1e6).toFixed(1)} MB`;

async function item11_1(): Promise<void> {
  // udprpc.describe (a synchronous idempotent method) 200 000 times, then past every deadline.
  // One source sends them all: lift its rate limit (100 000 datagrams/s by default).
  const r = await rig({ antiAmplification: false, sources: { ratePerSecond: 1e9, rateBurst: 1e9 } });
  const calls = 200_000;
  for (let id = 1; id <= 1000; id++) r.send(request(id, 'udprpc.describe', null));
  await r.clock.runFor(5000);
  gc();
  const before = process.memoryUsage().heapUsed;
  for (let id = 1001; id <= calls; id++) {
    r.send(request(id, 'udprpc.describe', null));
    if (id % 1000 === 0) await r.clock.runFor(1);
  }
  await r.clock.runFor(5000);
  r.got.length = 0;
  gc();
  const grown = process.memoryUsage().heapUsed - before;
  const s = r.server.stats();
  console.log(
    `11.1 describe x ${calls}: responses ${s.responses}, cacheEntries ${s.cacheEntries}, cacheBytes ${s.cacheBytes}, deadlineAborts ${s.deadlineAborts}, ` +
      `heap growth ${mb(grown)} (${Math.round(grown / (calls - 1000))} B/call)`,
  );
  // Then past the byte cap: does eviction terminate, are PINGs answered?
  const small = await rig({ antiAmplification: false, dedup: { maxBytes: 64 * 1024 } });
  for (let id = 1; id <= 1000; id++) small.send(request(id, 'udprpc.describe', null));
  await small.clock.runFor(3100); // past deadline + graceMs of every describe call
  const t0 = performance.now();
  for (let id = 2001; id <= 2200; id++) small.send(request(id, 'survival.once', { bytes: 1000 }));
  await small.clock.runFor(10);
  for (let id = 1; id <= 6; id++) small.send(ping(5000 + id));
  await small.clock.runFor(10);
  const t = small.server.stats();
  console.log(
    `11.1 cap 64 KiB after 1000 describe: 200 cached replies -> evictions ${t.cacheEvictions}, cacheBytes ${t.cacheBytes}, ` +
      `PINGs answered ${count(small.got, FrameType.PONG)}/6, ${(performance.now() - t0).toFixed(0)} ms wall`,
  );
}

async function item11_7(): Promise<void> {
  const r = await rig({ admission: { maxRunning: 8, maxQueued: 4 } });
  for (let id = 1; id <= 20; id++) r.send(request(id, 'survival.hang', null, 500));
  await r.clock.runFor(10);
  const during = r.server.stats();
  await r.clock.runFor(2000); // well past deadline (500 ms) + overrunGraceMs (1000 ms)
  const after = r.server.stats();
  r.got.length = 0;
  for (let id = 101; id <= 120; id++) r.send(request(id, 'survival.echo', { n: id }, 5000));
  await r.clock.runFor(50);
  const answered = count(r.got, FrameType.RESPONSE);
  const refused = count(r.got, FrameType.ERROR);
  console.log(
    `11.7 maxRunning 8 / maxQueued 4, 20 hung calls (500 ms deadline): at 10 ms running ${during.running} queued ${during.queued} rejected ${during.rejected}; ` +
      `at 2010 ms running ${after.running} queued ${after.queued} handlerOverruns ${after.handlerOverruns}; 20 later calls: ${answered} answered, ${refused} refused`,
  );
}

async function item11_8(): Promise<void> {
  const warnings: Error[] = [];
  const original = process.emitWarning;
  process.emitWarning = ((w: Error) => void warnings.push(w)) as typeof process.emitWarning;
  try {
    const r = await rig(); // no 'error' listener, default warnings
    for (let id = 1; id <= 1000; id++) r.send(request(id, 'survival.crash', null, 5000));
    for (let id = 1001; id <= 2000; id++) r.send(request(id, 'survival.unencodable', null, 5000));
    await r.clock.runFor(100);
    const s = r.server.stats() as ReturnType<Server['stats']> & { replyEncodeErrors?: number; warningsSuppressed?: number };
    console.log(
      `11.8 1000 throwing + 1000 unencodable calls within 100 ms, no 'error' listener: process warnings ${warnings.length}` +
        `${warnings[0] ? ` (first: "${warnings[0].message}")` : ''}, handlerErrors ${s.handlerErrors}, replyEncodeErrors ${s.replyEncodeErrors}, warningsSuppressed ${s.warningsSuppressed}`,
    );
  } finally {
    process.emitWarning = original;
  }
}

async function item11_9(): Promise<void> {
  const blocker = createSocket('udp4');
  await new Promise<void>((resolve) => blocker.bind(0, '127.0.0.1', resolve));
  const port = blocker.address().port;
  const server = createServer({ host: '127.0.0.1', port });
  server.implement(svc, { once: () => new Uint8Array(0), read: () => new Uint8Array(0), hang: () => 0, echo: ({ n }) => n, crash: () => 0, unencodable: () => 0 });
  const outcome = (p: Promise<unknown>): Promise<string> => p.then(() => 'ok', (e: unknown) => (RpcError.is(e) ? `${e.code} (${e.message})` : String(e)));
  const first = await outcome(server.listen());
  const second = await outcome(server.listen());
  await new Promise<void>((resolve) => blocker.close(() => resolve()));
  const third = await outcome(server.listen());
  const client = createClient({ url: `udp://127.0.0.1:${port}` });
  const call = await outcome(client.stub(svc).echo({ n: 5 }));
  await client.close();
  await server.close();
  console.log(`11.9 real UDP 127.0.0.1:<busy port>: listen ${first}; again while busy: ${second}; after the port is freed: ${third}; a call: ${call}`);
}

async function item12_7(): Promise<void> {
  const r = await rig(); // anti-amplification on (the default)
  // A raw first call of the idempotent method, answering VALIDATE by hand as a client does.
  r.send(request(1, 'survival.read', { n: 3 }, 5000));
  await r.clock.runFor(5);
  const challenge = r.got.find((f) => f.type === FrameType.VALIDATE);
  if (challenge !== undefined) r.send(encodeFrame({ type: FrameType.VALIDATE_ECHO, flags: 0, attempt: 0, session: 77, id: 1 }, challenge.body));
  await r.clock.runFor(5);
  const seq = r.got.map((f) => Object.entries(FrameType).find(([, t]) => t === f.type)?.[0]).join(' ');
  const replied = r.got.some((f) => f.type === FrameType.RESPONSE);
  // The reference client, end to end: handler runs and time to the reply.
  const c = await rig();
  const client = createClient({ transport: c.net.endpoint('client'), peer: c.address, clock: c.clock, random: createRandom(1) });
  const started = c.clock.now();
  const [result] = await settleAll(c.clock, [client.stub(svc).read({ n: 4 })]);
  const ms = c.clock.now() - started;
  await c.clock.runFor(5000);
  console.log(
    `12.7 first call of an idempotent method with a 600-byte reply: server sent "${seq}" (${replied ? 'reply after the echo' : 'no reply after the echo'}); ` +
      `reference client: ${result!.status}, ${ms} ms on 1 ms links, handler runs ${c.runs.get('read') ?? 0}, client retransmits ${client.stats().retransmits}`,
  );
  await client.close();
}

const items: Record<string, () => Promise<void>> = { '11.1': item11_1, '11.7': item11_7, '11.8': item11_8, '11.9': item11_9, '12.7': item12_7 };
const chosen = process.argv.slice(2);
for (const [name, run] of Object.entries(items)) {
  if (chosen.length === 0 || chosen.includes(name)) await run();
}
process.exit(0);
