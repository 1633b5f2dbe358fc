// udprpc on both sides, through the public API of the `udprpc` package.
import { createClient, createServer, createUdpTransport, type PeerAddress, type Transport } from 'udprpc';
import { sendChunks } from '@udprpc/core/engine';
import { benchContract, benchZodContract, type Driver, type ServerHandle } from '../lib/contract.js';

export async function startUdprpcServer(maxDatagramBytes: number | undefined, coalesce = true, schema?: 'zod'): Promise<ServerHandle> {
  const server = createServer({ host: '127.0.0.1', port: 0, coalesce, ...(maxDatagramBytes === undefined ? {} : { maxDatagramBytes }) });
  // Both contracts have the same handler types; the zod one also validates.
  server.implement(schema === 'zod' ? benchZodContract : benchContract, {
    add: ({ a, b }) => a + b,
    echo: (bytes) => bytes,
  });
  const address = await server.listen();
  return {
    port: address.port,
    stats: () => ({ ...server.stats() }),
    close: () => server.close(),
  };
}

export interface UdprpcClientOptions {
  port: number;
  maxDatagramBytes: number | undefined;
  coalesce: boolean;
  timeoutMs: number;
  /** Simulated loss in a wrapper transport on the client side. */
  drop: () => boolean;
  lossy: boolean;
  schema?: 'zod' | undefined;
}

export async function createUdprpcDriver(o: UdprpcClientOptions): Promise<Driver> {
  const common = {
    timeoutMs: o.timeoutMs,
    coalesce: o.coalesce,
    ...(o.maxDatagramBytes === undefined ? {} : { maxDatagramBytes: o.maxDatagramBytes }),
  };
  const client = o.lossy
    ? createClient({
        ...common,
        transport: lossyTransport(createUdpTransport({ host: '127.0.0.1', port: 0 }), o.drop),
        peer: { address: '127.0.0.1', family: 'IPv4', port: o.port },
      })
    : createClient({ ...common, url: `udp://127.0.0.1:${o.port}` });
  await client.connect();
  const stub = client.stub(o.schema === 'zod' ? benchZodContract : benchContract);
  return {
    add: (a, b) => stub.add({ a, b }),
    echo: (bytes) => stub.echo(bytes),
    stats: () => {
      const s = client.stats();
      return { calls: s.calls, retransmits: s.retransmits, timeouts: s.timeouts, errors: s.errors, drops: s.drops, retryBudget: s.retryBudget };
    },
    close: () => client.close(),
  };
}

/**
 * Wraps a transport so that `drop()` decides, per datagram and direction, to
 * lose it. Everything else is the inner transport's: its scatter/gather send
 * and its path limit (without which the client would not discover the path
 * MTU, and a lossy run would compare 1200-byte datagrams with a lossless run's
 * 65,507-byte ones).
 */
export function lossyTransport(inner: Transport, drop: () => boolean): Transport {
  return {
    listen: (onDatagram, onError, onUnreachable) =>
      inner.listen(
        (bytes, from, meta) => {
          if (!drop()) onDatagram(bytes, from, meta);
        },
        onError,
        onUnreachable,
      ),
    send(bytes, to) {
      if (!drop()) inner.send(bytes, to);
    },
    sendv(chunks, to) {
      if (!drop()) sendChunks(inner, chunks, to);
    },
    close: () => inner.close(),
    setRef: (ref) => inner.setRef?.(ref),
    ...(inner.maxDatagramBytes === undefined ? {} : { maxDatagramBytes: inner.maxDatagramBytes }),
    ...(inner.maxPathDatagramBytes === undefined ? {} : { maxPathDatagramBytes: (to: PeerAddress) => inner.maxPathDatagramBytes!(to) }),
  };
}
