// Datagram fuzzing of a REAL udprpc server on 127.0.0.1 (issue 6): ≥ 100,000
// malformed datagrams, mutated from valid frames captured from a real client,
// are sent from several raw sockets in bounded batches while a well-behaved
// client keeps calling. The server must not crash, must leave no unhandled
// rejection, must keep answering (the client's retries cover kernel drops),
// must count what it drops by reason, and must not grow its heap without
// bound. UDPRPC_LONG=1 runs 10^6 datagrams instead.
import { createSocket, type Socket } from 'node:dgram';
import v8 from 'node:v8';
import vm from 'node:vm';
import { afterEach, expect, it } from 'vitest';
import { FrameType, HEADER_BYTES, splitBatch } from '@udprpc/core/wire';
import { createRandom } from '@udprpc/testkit';
import {
  RpcError,
  createClient,
  createServer,
  createUdpTransport,
  defineContract,
  method,
  type Client,
  type PeerAddress,
  type Server,
  type Transport,
} from 'udprpc';
import { createMutator, type MutationKind } from './fuzz-mutators.js';

const LONG = process.env['UDPRPC_LONG'] === '1';
const DATAGRAMS = LONG ? 1_000_000 : 100_000;
const SEED = Number(process.env['UDPRPC_FUZZ_SEED'] ?? 0x5eed);
const SOCKETS = 8;
const BATCH = 64;
/** The fuzzer waits while more than this many of its datagrams are unread by the server. */
const WINDOW = 192;
/** Hang guard only: the fuzzer stops sending after this long. */
const MAX_FUZZ_MS = LONG ? 600_000 : 120_000;

const fuzz = defineContract('fuzz', {
  add: method<{ a: number; b: number }, number>(),
  echo: method<string, string>(),
  /** A reply of `bytes` bytes: fragmented, and held until the address is validated. */
  big: method<{ bytes: number }, Uint8Array>(),
  /** A fragmented request. */
  upload: method<Uint8Array, number>(),
  /** Sleeps until aborted (or 1 s): its cancellation gives us a CANCEL frame. */
  sleep: method<void, void>(),
});

function bad(what: string): RpcError {
  return new RpcError('INVALID_ARGUMENT', what);
}

/** Counts the datagrams a transport receives (the server's, to pace the fuzzer). */
class Counting implements Transport {
  received = 0;
  constructor(private readonly inner: Transport) {}
  get maxDatagramBytes(): number {
    return this.inner.maxDatagramBytes ?? 65_507;
  }
  listen(...[onDatagram, onError]: Parameters<Transport['listen']>): ReturnType<Transport['listen']> {
    return this.inner.listen((bytes, from, meta) => {
      this.received++;
      onDatagram(bytes, from, meta);
    }, onError);
  }
  send(bytes: Uint8Array, to: PeerAddress): void {
    this.inner.send(bytes, to);
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

/** Records the datagrams a client sends (the templates the fuzzer mutates). */
class Recorder implements Transport {
  readonly frames: Uint8Array[] = [];
  constructor(private readonly inner: Transport) {}
  get maxDatagramBytes(): number {
    return this.inner.maxDatagramBytes ?? 65_507;
  }
  listen(...args: Parameters<Transport['listen']>): ReturnType<Transport['listen']> {
    return this.inner.listen(...args);
  }
  send(bytes: Uint8Array, to: PeerAddress): void {
    this.frames.push(bytes.slice());
    this.inner.send(bytes, to);
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

function findGc(): (() => void) | undefined {
  const g = (globalThis as { gc?: () => void }).gc;
  if (typeof g === 'function') return g;
  try {
    v8.setFlagsFromString('--expose-gc');
    return vm.runInNewContext('gc') as () => void;
  } catch {
    return undefined;
  }
}

function heapAfterGc(gc: (() => void) | undefined): number {
  gc?.();
  gc?.();
  return process.memoryUsage().heapUsed;
}

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

async function openSocket(): Promise<Socket> {
  const socket = createSocket('udp4');
  closers.push(() => new Promise<void>((resolve) => socket.close(() => resolve())));
  socket.on('error', () => {}); // ICMP errors on loopback are not the server's
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
  return socket;
}

function sendOn(socket: Socket, bytes: Uint8Array, to: PeerAddress): Promise<void> {
  return new Promise<void>((resolve) => socket.send(bytes, to.port, to.address, () => resolve()));
}

it(`survives ${DATAGRAMS.toLocaleString('en')} malformed datagrams while answering a well-behaved client`, { timeout: MAX_FUZZ_MS + 60_000 }, async () => {
  const failures: unknown[] = [];
  const onFailure = (e: unknown): void => void failures.push(e);
  process.on('unhandledRejection', onFailure);
  process.on('uncaughtException', onFailure);
  closers.push(async () => {
    process.off('unhandledRejection', onFailure);
    process.off('uncaughtException', onFailure);
  });
  const gc = findGc();

  const serverTransport = new Counting(createUdpTransport({ host: '127.0.0.1' }));
  // The first server on a port the kernel just picked: no start-up grace (protocol.md §6.3).
  const server: Server = createServer({ transport: serverTransport, startupGraceMs: 0 }).implement(fuzz, {
    // Fuzzed requests reach these with any decodable value: check, don't trust.
    add: (input) => {
      const { a, b } = (input ?? {}) as { a?: unknown; b?: unknown };
      if (typeof a !== 'number' || typeof b !== 'number') throw bad('a and b must be numbers');
      return a + b;
    },
    echo: (text) => {
      if (typeof text !== 'string') throw bad('text must be a string');
      return text;
    },
    big: (input) => {
      const bytes = (input as { bytes?: unknown } | undefined)?.bytes;
      if (typeof bytes !== 'number' || !Number.isInteger(bytes) || bytes < 0 || bytes > 100_000) throw bad('bytes out of range');
      return new Uint8Array(bytes).fill(0xb1);
    },
    upload: (data) => {
      if (!(data instanceof Uint8Array)) throw bad('data must be bytes');
      return data.length;
    },
    sleep: (_input, ctx) =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 1000);
        ctx.signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
      }),
  });
  closers.push(() => server.close());
  const serverErrors: Error[] = [];
  server.on('error', (e) => serverErrors.push(e));
  const address = await server.listen();

  const newClient = (transport: Transport = createUdpTransport({ host: '127.0.0.1' })): Client => {
    const client = createClient({ transport, peer: address, timeoutMs: 20_000 });
    closers.push(() => client.close());
    return client;
  };

  // 1. Capture valid frames of every kind a client sends.
  const recorder = new Recorder(createUdpTransport({ host: '127.0.0.1' }));
  const capture = newClient(recorder).stub(fuzz);
  expect(await capture.add({ a: 1, b: 2 })).toBe(3);
  expect(await capture.echo('hello, fuzzer')).toBe('hello, fuzzer');
  expect((await capture.big({ bytes: 4000 })).length).toBe(4000); // VALIDATE_ECHO, FRAGMENT_ACK
  expect(await capture.upload(new Uint8Array(5000).fill(7))).toBe(5000); // REQUEST fragments
  await capture.sleep(undefined, { timeoutMs: 50 }).catch(() => {}); // CANCEL
  await capture.add.notify({ a: 5, b: 5 }); // NO_REPLY
  await new Promise((resolve) => setTimeout(resolve, 30)); // anything the client still buffers goes out
  // The templates: every datagram, and every frame inside a coalesced BATCH.
  const templates = [...recorder.frames];
  for (const datagram of recorder.frames) {
    const batch = datagram[3] === FrameType.BATCH ? splitBatch(datagram.subarray(HEADER_BYTES)) : undefined;
    if (batch?.ok) templates.push(...batch.value.map((f) => f.slice()));
  }
  const capturedTypes = [...new Set(templates.map((f) => f[3]!))].sort((x, y) => x - y);
  for (const type of [FrameType.REQUEST, FrameType.CANCEL, FrameType.FRAGMENT_ACK, FrameType.VALIDATE_ECHO]) {
    expect(capturedTypes).toContain(type);
  }
  expect(templates.some((f) => f[3] === FrameType.REQUEST && (f[4]! & 1) === 1)).toBe(true); // a request fragment

  const heapBefore = heapAfterGc(gc);
  const rssBefore = process.memoryUsage().rss;

  // 2. The well-behaved client calls throughout the fuzzing.
  const good = newClient().stub(fuzz);
  let fuzzing = true;
  let goodCalls = 0;
  const goodErrors: unknown[] = [];
  const wellBehaved = (async () => {
    for (let i = 0; fuzzing && i < 100_000; i++) {
      try {
        if (i % 10 === 5) expect((await good.big({ bytes: 3000 })).length).toBe(3000);
        else if (i % 10 === 7) expect(await good.upload(new Uint8Array(2500))).toBe(2500);
        else expect(await good.add({ a: i, b: 1 })).toBe(i + 1);
        goodCalls++;
      } catch (e) {
        goodErrors.push(e);
      }
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
  })();

  // 3. The fuzzer: bounded batches, the event loop breathes between them.
  const sockets = await Promise.all(Array.from({ length: SOCKETS }, () => openSocket()));
  const next = createMutator(createRandom(SEED), templates);
  const kinds: Partial<Record<MutationKind, number>> = {};
  const started = performance.now();
  let sent = 0;
  let bytesSent = 0;
  const receivedBefore = serverTransport.received;
  while (sent < DATAGRAMS && performance.now() - started < MAX_FUZZ_MS) {
    const batch: Promise<void>[] = [];
    for (let i = 0; i < BATCH && sent < DATAGRAMS; i++, sent++) {
      const { kind, bytes } = next();
      kinds[kind] = (kinds[kind] ?? 0) + 1;
      bytesSent += bytes.length;
      batch.push(sendOn(sockets[sent % SOCKETS]!, bytes, address));
    }
    await Promise.all(batch);
    // Let the server read what the kernel queued; what the kernel dropped
    // (socket buffer full) never arrives, so the wait is bounded.
    for (let spin = 0; spin < 64 && serverTransport.received - receivedBefore < sent - WINDOW; spin++) {
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
  const fuzzMs = performance.now() - started;
  fuzzing = false;
  await wellBehaved;

  // 4. Still serving, nothing crashed, memory bounded, drops counted by reason.
  const after = newClient().stub(fuzz);
  expect(await after.add({ a: 40, b: 2 })).toBe(42);
  expect((await after.big({ bytes: 5000 })).length).toBe(5000);
  const heapAfter = heapAfterGc(gc);
  const stats = server.stats();
  const report = {
    seed: SEED,
    templates: templates.length,
    capturedTypes,
    datagrams: sent,
    readByServer: serverTransport.received - receivedBefore,
    megabytesSent: +(bytesSent / 2 ** 20).toFixed(1),
    fuzzSeconds: +(fuzzMs / 1000).toFixed(1),
    kinds,
    goodCalls,
    heapGrowthMiB: +((heapAfter - heapBefore) / 2 ** 20).toFixed(1),
    rssGrowthMiB: +((process.memoryUsage().rss - rssBefore) / 2 ** 20).toFixed(1),
    gcExposed: gc !== undefined,
    drops: stats.drops,
    server: {
      requests: stats.requests,
      notifications: stats.notifications,
      errors: stats.errors,
      rejected: stats.rejected,
      reassemblyRefused: stats.reassemblyRefused,
      amplificationBlocked: stats.amplificationBlocked,
      validations: stats.validations,
      cacheEntries: stats.cacheEntries,
      cacheBytes: stats.cacheBytes,
      reassemblyBytes: stats.reassemblyBytes,
      sources: stats.sources,
      sessions: stats.sessions,
      handlerErrors: stats.handlerErrors,
    },
  };
  console.log(`fuzz report ${JSON.stringify(report, null, 1)}`);

  expect(sent).toBe(DATAGRAMS);
  expect(failures).toEqual([]);
  expect(serverErrors).toEqual([]);
  expect(goodErrors).toEqual([]);
  expect(goodCalls).toBeGreaterThan(0);
  expect(heapAfter - heapBefore).toBeLessThan(64 * 2 ** 20);
  for (const reason of ['truncated', 'bad-magic', 'unsupported-version', 'unknown-type', 'malformed', 'unexpected-frame', 'bad-token'] as const) {
    expect({ reason, seen: (stats.drops[reason] ?? 0) > 0 }).toEqual({ reason, seen: true });
  }
});
