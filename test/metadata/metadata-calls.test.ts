import { tracingChannel } from 'node:diagnostics_channel';
import { afterEach, describe, expect, it } from 'vitest';
import { createClient, type Client, type ClientInterceptor, type ClientOptions } from '@udprpc/client';
import { defineContract, Metadata, method, RpcError, type MetadataValue } from '@udprpc/core';
import { Flag, parseFrame } from '@udprpc/core/wire';
import { createServer, type Server, type ServerInterceptor, type ServerOptions } from '@udprpc/server';
import { createRandom, createTransportPair, settleAll, type SimNetwork, type VirtualClock } from '@udprpc/testkit';

// Call metadata end to end (protocol.md §5.8): the client's `metadata` and
// `onReplyMetadata` options, `RpcError.metadata`, the server's
// `ctx.metadata` / `ctx.setReplyMetadata`, interceptors, the caps, and the
// diagnostics_channel `metadata` properties, on a simulated network.

const md = defineContract('md', {
  /** Echoes the request metadata back as reply metadata (prefixed `r-`; not for input `quiet`) and returns the keys it saw. */
  echo: method<string, string[]>(),
  /** Sets reply metadata, then throws FAILED_PRECONDITION. */
  fail: method<number, never>(),
  /** Sets `n` bytes of reply metadata. */
  big: method<number, string>(),
  /** Sets a reply metadata entry `[key, value]` (maybe invalid). */
  setReply: method<[string, string], string>(),
});

interface Rig {
  clock: VirtualClock;
  network: SimNetwork;
  server: Server;
  client: Client;
  seen: Metadata[];
  handled: number;
  sent: Uint8Array[];
}

let rig: Rig | undefined;
afterEach(async () => {
  await rig?.client.close();
  await rig?.server.close();
  rig = undefined;
});

async function start(options: { server?: Partial<ServerOptions>; client?: Partial<ClientOptions>; conditions?: object } = {}): Promise<Rig> {
  const sent: Uint8Array[] = [];
  const { clock, network, a, b } = createTransportPair({ conditions: { delayMs: 1, ...options.conditions } });
  const seen: Metadata[] = [];
  const r: Partial<Rig> = { clock, network, seen, handled: 0, sent };
  const server = createServer({ transport: a, clock, random: createRandom(3), ...options.server }).implement(md, {
    echo: (_input, ctx) => {
      r.handled!++;
      seen.push(ctx.metadata);
      if (_input !== 'quiet') for (const [key, value] of ctx.metadata) ctx.setReplyMetadata(`r-${key}`, value);
      return [...ctx.metadata.keys()];
    },
    fail: (n, ctx) => {
      r.handled!++;
      ctx.setReplyMetadata('why', `n=${n}`);
      throw new RpcError('FAILED_PRECONDITION', 'no', { details: { n } });
    },
    setReply: ([key, value], ctx) => {
      r.handled!++;
      ctx.setReplyMetadata(key, value);
      return 'set';
    },
    big: (n, ctx) => {
      r.handled!++;
      ctx.setReplyMetadata('blob', new Uint8Array(n));
      return 'ok';
    },
  });
  await server.listen();
  const send = b.send.bind(b);
  b.send = (bytes, to) => {
    sent.push(bytes.slice());
    send(bytes, to);
  };
  const client = createClient({ transport: b, clock, random: createRandom(7), peer: a.address, ...options.client });
  await client.connect();
  return (rig = Object.assign(r, { server, client }) as Rig);
}

const entriesOf = (m: Metadata | undefined): [string, MetadataValue][] => (m === undefined ? [] : [...m]);

describe('call metadata', () => {
  it('request metadata reaches ctx.metadata; reply metadata reaches onReplyMetadata', async () => {
    const r = await start();
    const replies: Metadata[] = [];
    const stub = r.client.stub(md);
    const [result] = await settleAll(r.clock, [
      stub.echo('x', { metadata: { authorization: 'Bearer t', 'bin.key': new Uint8Array([0, 255]) }, onReplyMetadata: (m) => replies.push(m) }),
    ]);
    expect(result).toEqual({ status: 'fulfilled', value: ['authorization', 'bin.key'] });
    expect(entriesOf(r.seen[0])).toEqual([
      ['authorization', 'Bearer t'],
      ['bin.key', new Uint8Array([0, 255])],
    ]);
    expect(r.seen[0]!.get('authorization')).toBe('Bearer t');
    expect(replies).toHaveLength(1);
    expect(entriesOf(replies[0])).toEqual([
      ['r-authorization', 'Bearer t'],
      ['r-bin.key', new Uint8Array([0, 255])],
    ]);
    // The request carried the flag; its reply too.
    const request = parseFrame(r.sent[0]!);
    expect(typeof request !== 'string' && (request.flags & Flag.HAS_METADATA) !== 0).toBe(true);
  });

  it('a call without metadata: flag clear, ctx.metadata empty, onReplyMetadata not called', async () => {
    const r = await start();
    let called = 0;
    const [result] = await settleAll(r.clock, [r.client.stub(md).echo('x', { onReplyMetadata: () => called++ })]);
    expect(result).toEqual({ status: 'fulfilled', value: [] });
    expect(r.seen[0]).toBe(Metadata.EMPTY);
    expect(called).toBe(0);
    const request = parseFrame(r.sent[0]!);
    expect(typeof request !== 'string' && request.flags).toBe(0);
  });

  it('an error carries its reply metadata as RpcError.metadata (and to onReplyMetadata)', async () => {
    const r = await start();
    const replies: Metadata[] = [];
    const [result] = await settleAll(r.clock, [r.client.stub(md).fail(4, { onReplyMetadata: (m) => replies.push(m) })]);
    expect(result.status).toBe('rejected');
    const error = (result as PromiseRejectedResult).reason as RpcError;
    expect(error.code).toBe('FAILED_PRECONDITION');
    expect(error.details).toEqual({ n: 4 });
    expect(entriesOf(error.metadata)).toEqual([['why', 'n=4']]);
    expect(replies.map(entriesOf)).toEqual([[['why', 'n=4']]]);
  });

  it.each([
    ['an upper-case key', { Auth: 'x' }, 'INVALID_ARGUMENT'],
    ['an empty key', { '': 'x' }, 'INVALID_ARGUMENT'],
    ['a key with a space', { 'a b': 'x' }, 'INVALID_ARGUMENT'],
    ['a 256-character key', { ['k'.repeat(256)]: 'x' }, 'INVALID_ARGUMENT'],
    ['the reserved prefix', { 'udprpc-x': 'x' }, 'INVALID_ARGUMENT'],
    ['a number value', { a: 1 as unknown as string }, 'INVALID_ARGUMENT'],
    ['a lone surrogate', { a: '\ud800' }, 'INVALID_ARGUMENT'],
    ['8 KiB + 1 of metadata', { a: 'x'.repeat(8192 - 2 - 4 - 1 + 1) }, 'RESOURCE_EXHAUSTED'],
  ])('%s fails the call with an RpcError and sends nothing', async (_name, metadata, code) => {
    const r = await start();
    const [result] = await settleAll(r.clock, [r.client.stub(md).echo('x', { metadata })]);
    expect(result.status).toBe('rejected');
    const error = (result as PromiseRejectedResult).reason as RpcError;
    expect(RpcError.is(error)).toBe(true);
    expect(error.code).toBe(code);
    expect(error.remote).toBe(false);
    expect(r.sent).toHaveLength(0);
    expect(r.handled).toBe(0);
  });

  it('exactly 8 KiB of metadata (the default cap, length field included) is sent', async () => {
    const r = await start();
    const value = 'x'.repeat(8192 - 2 - 4 - 1);
    const [result] = await settleAll(r.clock, [r.client.stub(md).echo('quiet', { metadata: { a: value } })]);
    expect(result).toEqual({ status: 'fulfilled', value: ['a'] });
    expect(r.seen[0]!.get('a')).toBe(value);
  });

  it("a server refuses request metadata above its cap with RESOURCE_EXHAUSTED and never runs the handler", async () => {
    const r = await start({ server: { maxMetadataBytes: 100 } });
    const ok = { a: 'x'.repeat(100 - 2 - 4 - 1) }; // exactly 100 bytes
    const over = { a: 'x'.repeat(100 - 2 - 4 - 1 + 1) };
    const [fits, refused] = await settleAll(r.clock, [r.client.stub(md).echo('quiet', { metadata: ok }), r.client.stub(md).echo('quiet', { metadata: over })]);
    expect(fits).toEqual({ status: 'fulfilled', value: ['a'] });
    const error = (refused as PromiseRejectedResult).reason as RpcError;
    expect([error.code, error.remote, error.message]).toEqual(['RESOURCE_EXHAUSTED', true, "request metadata is 101 bytes, above the server's 100-byte limit"]);
    expect(r.handled).toBe(1);
    expect(r.server.stats().cacheEntries).toBe(1);
  });

  it('a handler setting reply metadata above the server cap answers RESOURCE_EXHAUSTED', async () => {
    const r = await start({ server: { maxMetadataBytes: 100 } });
    const [fits, over] = await settleAll(r.clock, [r.client.stub(md).big(100 - 2 - 4 - 4), r.client.stub(md).big(100 - 2 - 4 - 4 + 1)]);
    expect(fits).toEqual({ status: 'fulfilled', value: 'ok' });
    const error = (over as PromiseRejectedResult).reason as RpcError;
    expect([error.code, error.remote, error.message, error.metadata]).toEqual(['RESOURCE_EXHAUSTED', true, 'reply metadata is 101 bytes, above the 100-byte limit', undefined]);
  });

  it('a client refuses reply metadata above its cap with RESOURCE_EXHAUSTED (local)', async () => {
    const r = await start({ client: { maxMetadataBytes: 100 } });
    const [fits, over] = await settleAll(r.clock, [r.client.stub(md).big(90), r.client.stub(md).big(91)]);
    expect(fits).toEqual({ status: 'fulfilled', value: 'ok' });
    const error = (over as PromiseRejectedResult).reason as RpcError;
    expect([error.code, error.remote, error.message]).toEqual(['RESOURCE_EXHAUSTED', false, "reply metadata is 101 bytes, above the client's 100-byte limit"]);
  });

  it('ctx.setReplyMetadata throws a TypeError for a bad or reserved key (the caller gets INTERNAL)', async () => {
    const r = await start();
    const thrown: unknown[] = [];
    r.server.on('error', (e) => thrown.push(e));
    const stub = r.client.stub(md);
    const results = await settleAll(r.clock, [stub.setReply(['Bad', 'v']), stub.setReply(['udprpc-x', 'v']), stub.setReply(['fine', '\udc00']), stub.setReply(['fine', 'v'])]);
    expect(results.map((x) => (x.status === 'fulfilled' ? x.value : (x.reason as RpcError).code))).toEqual(['INTERNAL', 'INTERNAL', 'INTERNAL', 'set']);
    expect(thrown.map((e) => [(e as Error).name, (e as Error).message])).toEqual([
      ['TypeError', 'metadata key "Bad" has a character outside a-z 0-9 - _ .'],
      ['TypeError', 'metadata key udprpc-x uses the reserved prefix udprpc-'],
      ['TypeError', 'metadata value of fine must be a Uint8Array or a well-formed string'],
    ]);
  });

  it('metadata rides a fragmented request and a fragmented reply', async () => {
    const r = await start();
    const big = new Uint8Array(5000).map((_, i) => i & 0xff);
    const replies: Metadata[] = [];
    const [result] = await settleAll(r.clock, [
      r.client.stub(md).echo('z'.repeat(4000), { metadata: { big, s: 'é' }, onReplyMetadata: (m) => replies.push(m) }),
    ]);
    expect(result).toEqual({ status: 'fulfilled', value: ['big', 's'] });
    expect(entriesOf(r.seen[0])).toEqual([
      ['big', big],
      ['s', 'é'],
    ]);
    expect(entriesOf(replies[0])).toEqual([
      ['r-big', big],
      ['r-s', 'é'],
    ]);
    // Every fragment of the request has HAS_METADATA set.
    const frames = r.sent.map((bytes) => parseFrame(bytes)).filter((f) => typeof f !== 'string' && f.type === 1 && f.fragment !== undefined);
    expect(frames.length).toBeGreaterThan(4);
    for (const f of frames) expect(typeof f !== 'string' && (f.flags & Flag.HAS_METADATA) !== 0).toBe(true);
  });
});

describe('interceptors read and write req.metadata', () => {
  it('a client interceptor adds a key, a server interceptor reads it and replaces the metadata the handler sees', async () => {
    const add: ClientInterceptor = (next) => (req) => {
      req.metadata = { ...req.metadata, authorization: 'token' };
      return next(req);
    };
    const readByServer: string[] = [];
    const strip: ServerInterceptor = (next) => (req) => {
      readByServer.push(String(req.metadata.get('authorization')));
      req.metadata = Metadata.from([...req.metadata].filter(([key]) => key !== 'authorization'));
      req.ctx.setReplyMetadata('via', 'interceptor');
      return next(req);
    };
    const r = await start({ client: { interceptors: [add] }, server: { interceptors: [strip] } });
    const replies: Metadata[] = [];
    const [result] = await settleAll(r.clock, [r.client.stub(md).echo('x', { metadata: { k: 'v' }, onReplyMetadata: (m) => replies.push(m) })]);
    expect(result).toEqual({ status: 'fulfilled', value: ['k'] });
    expect(readByServer).toEqual(['token']);
    expect(entriesOf(replies[0])).toEqual([
      ['via', 'interceptor'],
      ['r-k', 'v'],
    ]);
  });
});

describe('diagnostics_channel metadata', () => {
  it('keys a udprpc:client:call start subscriber adds go on the wire; udprpc:server:call start sees them', async () => {
    const r = await start();
    const serverSaw: (string | undefined)[] = [];
    const clientStart = (message: unknown): void => {
      (message as { metadata: Record<string, MetadataValue> }).metadata.traceparent = '00-abc-def-01';
    };
    const serverStart = (message: unknown): void => {
      serverSaw.push((message as { metadata: Metadata }).metadata.get('traceparent') as string | undefined);
    };
    const cc = tracingChannel('udprpc:client:call');
    const sc = tracingChannel('udprpc:server:call');
    const noop = (): void => {};
    const ch = { start: clientStart, end: noop, asyncStart: noop, asyncEnd: noop, error: noop };
    const sh = { start: serverStart, end: noop, asyncStart: noop, asyncEnd: noop, error: noop };
    cc.subscribe(ch);
    sc.subscribe(sh);
    const caller = { k: 'v' };
    try {
      const [result] = await settleAll(r.clock, [r.client.stub(md).echo('x', { metadata: caller }), r.client.stub(md).echo('y')]);
      expect(result).toEqual({ status: 'fulfilled', value: ['k', 'traceparent'] });
    } finally {
      cc.unsubscribe(ch);
      sc.unsubscribe(sh);
    }
    expect(serverSaw).toEqual(['00-abc-def-01', '00-abc-def-01']);
    expect(entriesOf(r.seen[1])).toEqual([['traceparent', '00-abc-def-01']]);
    // The caller's own object is not changed.
    expect(caller).toEqual({ k: 'v' });
  });
});
