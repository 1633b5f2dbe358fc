// Lookups on the server's hot path (issue 13): one source-table lookup per
// datagram, whatever it carries and whatever is sent back, and one registry
// lookup per call. Counted by wrapping the server's own tables.
import { describe, expect, it } from 'vitest';
import { CodecId, defineContract, jsonCodec, method, type DatagramHandler, type PeerAddress, type Transport } from '@udprpc/core';
import { encodeBatch, encodeFrame, encodeMethodName, encodeRequestFrame, FrameType, type FrameHeader } from '@udprpc/core/wire';
import { createServer, type Server } from '@udprpc/server';
import { VirtualClock } from '@udprpc/testkit';

const SERVER_ADDRESS: PeerAddress = Object.freeze({ address: '10.0.0.2', family: 'sim', port: 2222 });
const svc = defineContract('svc', { echo: method<number, number>(), later: method<number, number>(), get: method<number, number>({ idempotent: true }) });

class HandTransport implements Transport {
  readonly sent: Uint8Array[] = [];
  private onDatagram: DatagramHandler | undefined;
  listen(onDatagram: DatagramHandler): Promise<PeerAddress> {
    this.onDatagram = onDatagram;
    return Promise.resolve(SERVER_ADDRESS);
  }
  send(bytes: Uint8Array): void {
    this.sent.push(bytes);
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
  deliver(bytes: Uint8Array, from: PeerAddress): void {
    this.onDatagram!(bytes, from);
  }
}

const header = (type: FrameType, id: number, session = 0x1234): FrameHeader => ({ type, flags: 0, attempt: 0, session, id });
const request = (id: number, name: string, input: number, session?: number): Uint8Array =>
  encodeRequestFrame(header(FrameType.REQUEST, id, session), 5000, encodeMethodName(name), jsonCodec.encode(input), undefined, 0, CodecId.JSON);

/** Wraps `target.get` (a Map or a table with a `get` method) with a counter. */
function countGets(target: { get: (...args: never[]) => unknown }): { readonly n: number; reset(): void } {
  const get = target.get.bind(target) as (...args: unknown[]) => unknown;
  let n = 0;
  (target as { get: unknown }).get = (...args: unknown[]) => {
    n++;
    return get(...args);
  };
  return {
    get n() {
      return n;
    },
    reset() {
      n = 0;
    },
  };
}

async function rig(maxSources?: number) {
  const clock = new VirtualClock();
  const transport = new HandTransport();
  const server: Server = createServer({
    transport,
    clock,
    codec: jsonCodec,
    coalesce: false,
    antiAmplification: true,
    introspection: false,
    ...(maxSources === undefined ? {} : { sources: { maxSources } }),
  });
  const pending: ((n: number) => void)[] = [];
  server.implement(svc, {
    echo: (n) => n,
    later: () => new Promise<number>((resolve) => pending.push(resolve)),
    get: (n) => n,
  });
  await server.listen();
  const internals = server as unknown as { engine: { sources: { get: () => unknown; sources: Map<string, unknown> } }; registry: Map<string, unknown> };
  const table = internals.engine.sources;
  return {
    server,
    transport,
    clock,
    pending,
    /** SourceTable.get calls. */
    sourceGets: countGets(table),
    /** Lookups in the table's map of sources. */
    sourceMapGets: countGets(table.sources),
    registryGets: countGets(internals.registry),
  };
}

// A fresh PeerAddress object per datagram, as a transport without interning hands them.
const from = (): PeerAddress => ({ address: '10.0.0.1', family: 'sim', port: 1111 });

describe('one source lookup per datagram', () => {
  it('a request answered at once (the reply sent through the 3x gate): 1 lookup', async () => {
    const r = await rig();
    r.transport.deliver(request(1, 'svc.echo', 7), from());
    expect(r.transport.sent.map((b) => b[3])).toEqual([FrameType.RESPONSE]);
    expect({ table: r.sourceGets.n, map: r.sourceMapGets.n }).toEqual({ table: 1, map: 1 });
    await r.server.close();
  });

  it('a BATCH of three requests and a PING, from a source seen before: 1 lookup', async () => {
    const r = await rig();
    r.transport.deliver(request(1, 'svc.echo', 7), from());
    r.sourceGets.reset();
    r.sourceMapGets.reset();
    r.transport.deliver(encodeBatch([request(2, 'svc.echo', 1), request(3, 'svc.get', 2), request(4, 'svc.echo', 3), encodeFrame(header(FrameType.PING, 9), new Uint8Array(0))]), from());
    expect(r.transport.sent).toHaveLength(5);
    expect({ table: r.sourceGets.n, map: r.sourceMapGets.n }).toEqual({ table: 1, map: 1 });
    await r.server.close();
  });

  it('a retransmission answered from the cache, and a CANCEL: 1 lookup each; a handler answering later: none', async () => {
    const r = await rig();
    r.transport.deliver(request(1, 'svc.echo', 7), from());
    r.transport.deliver(request(2, 'svc.later', 1), from());
    r.sourceGets.reset();
    r.sourceMapGets.reset();
    const retransmission = request(1, 'svc.echo', 7);
    retransmission[5] = 1; // attempt 1
    r.transport.deliver(retransmission, from());
    expect({ table: r.sourceGets.n, map: r.sourceMapGets.n }).toEqual({ table: 1, map: 1 });
    r.pending[0]!(5);
    await Promise.resolve();
    await Promise.resolve();
    expect(r.transport.sent.map((b) => b[3])).toEqual([FrameType.RESPONSE, FrameType.RESPONSE, FrameType.RESPONSE]);
    expect({ table: r.sourceGets.n, map: r.sourceMapGets.n }).toEqual({ table: 1, map: 1 });
    r.transport.deliver(encodeFrame(header(FrameType.CANCEL, 2), new Uint8Array(0)), from());
    expect({ table: r.sourceGets.n, map: r.sourceMapGets.n }).toEqual({ table: 2, map: 2 });
    await r.server.close();
  });
});

describe('a call whose source the table forgot', () => {
  it('its late reply looks the address up again (1 lookup) and is charged to the new, unvalidated state: held back', async () => {
    const r = await rig(1);
    r.transport.deliver(request(1, 'svc.later', 1), from());
    // Another address takes the table's only place: the first one is forgotten.
    r.transport.deliver(encodeFrame(header(FrameType.PING, 9), new Uint8Array(0)), { address: '10.0.0.9', family: 'sim', port: 9 });
    r.sourceGets.reset();
    r.pending[0]!(5);
    await Promise.resolve();
    await Promise.resolve();
    expect(r.sourceGets.n).toBe(1);
    expect(r.transport.sent.map((b) => b[3])).toEqual([FrameType.PONG]);
    expect(r.server.stats()).toMatchObject({ amplificationBlocked: 1, sources: 1 });
    await r.server.close();
  });
});

describe('one registry lookup per call', () => {
  it('an at-most-once call, an idempotent one and an unknown method: 1 lookup each, none for a retransmission', async () => {
    const r = await rig();
    r.transport.deliver(request(1, 'svc.echo', 7), from());
    expect(r.registryGets.n).toBe(1);
    r.transport.deliver(request(2, 'svc.get', 7), from());
    expect(r.registryGets.n).toBe(2);
    r.transport.deliver(request(3, 'svc.nope', 7), from());
    expect(r.registryGets.n).toBe(3);
    expect(r.transport.sent.map((b) => b[3])).toEqual([FrameType.RESPONSE, FrameType.RESPONSE, FrameType.ERROR]);
    const retransmission = request(1, 'svc.echo', 7);
    retransmission[5] = 1;
    r.transport.deliver(retransmission, from());
    expect(r.registryGets.n).toBe(3);
    await r.server.close();
  });
});
