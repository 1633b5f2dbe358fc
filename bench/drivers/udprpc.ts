// udprpc on both sides, through the public API of the `udprpc` package.
import { createClient, createServer, createUdpTransport, type Transport } from 'udprpc';
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

/** Wraps a transport so that `drop()` decides, per datagram and direction, to lose it. */
export function lossyTransport(inner: Transport, drop: () => boolean): Transport {
  return {
    listen: (onDatagram, onError) =>
      inner.listen((bytes, from) => {
        if (!drop()) onDatagram(bytes, from);
      }, onError),
    send(bytes, to) {
      if (!drop()) inner.send(bytes, to);
    },
    close: () => inner.close(),
    ...(inner.maxDatagramBytes === undefined ? {} : { maxDatagramBytes: inner.maxDatagramBytes }),
  };
}
