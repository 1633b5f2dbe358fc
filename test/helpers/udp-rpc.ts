import { afterEach } from 'vitest';
import {
  createClient,
  createServer,
  createUdpTransport,
  jsonCodec,
  msgpackCodec,
  type Client,
  type Codec,
  type PeerAddress,
  type Server,
  type UdpClientOptions,
  type UdpServerOptions,
} from 'udprpc';
import { calc, calcHandlers, createProbe, type CalcProbe } from './calc-service.js';

/** The two codecs every scenario runs with. */
export const CODECS: readonly (readonly [string, Codec])[] = [
  ['msgpack (default)', msgpackCodec],
  ['json', jsonCodec],
];

/** Whether a UDP socket can be bound to `host` here (::1 is missing in some containers). */
export async function bindProblem(host: string): Promise<string | undefined> {
  const probe = createUdpTransport({ host });
  try {
    await probe.listen(
      () => {},
      () => {},
    );
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  } finally {
    await probe.close();
  }
}

/** The loopback hosts to run on, each with the reason it must be skipped (if any). */
export async function loopbackHosts(): Promise<{ host: string; skip: string | undefined }[]> {
  return Promise.all(['127.0.0.1', '::1'].map(async (host) => ({ host, skip: await bindProblem(host) })));
}

/** `udp://host:port`, with IPv6 literals in brackets. */
export function urlOf(address: PeerAddress): string {
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return `udp://${host}:${address.port}`;
}

export interface RunningServer {
  readonly server: Server;
  readonly address: PeerAddress;
  readonly url: string;
  readonly probe: CalcProbe;
  /** Errors the server emitted. */
  readonly errors: Error[];
  /** Addresses the server's 'listening' event carried. */
  readonly listened: PeerAddress[];
}

/**
 * Servers and clients over real UDP (via the `udprpc` package) that are all
 * closed after each test.
 */
export function useUdpRpc(): {
  serve(options: UdpServerOptions): Promise<RunningServer>;
  connect(url: string, options?: Omit<UdpClientOptions, 'url'>): Client;
  /** Closes one server now (it is not closed again after the test). */
  closeServer(server: Server): Promise<void>;
} {
  const servers = new Set<Server>();
  const clients = new Set<Client>();
  afterEach(async () => {
    const closing = [...clients].map((c) => c.close()).concat([...servers].map((s) => s.close()));
    clients.clear();
    servers.clear();
    await Promise.all(closing);
  });
  return {
    async serve(options) {
      const probe = createProbe();
      const server = createServer(options).implement(calc, calcHandlers(probe));
      servers.add(server);
      const errors: Error[] = [];
      const listened: PeerAddress[] = [];
      server.on('error', (e) => errors.push(e));
      server.on('listening', (a) => listened.push(a));
      const address = await server.listen();
      return { server, address, url: urlOf(address), probe, errors, listened };
    },
    connect(url, options = {}) {
      const client = createClient({ ...options, url });
      clients.add(client);
      return client;
    },
    async closeServer(server) {
      servers.delete(server);
      await server.close();
    },
  };
}
