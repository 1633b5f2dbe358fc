import { afterEach } from 'vitest';
import {
  createClient,
  createServer,
  type Client,
  type Codec,
  type Server,
  type Stub,
  type UdpClientOptions,
  type UdpServerOptions,
} from 'udprpc';
import { createLoopbackPair, createRandom, createTransportPair, settleAll } from '@udprpc/testkit';
import { calc, calcHandlers, createProbe, type CalcProbe } from './calc-service.js';
import { GUARD_MS, withGuard } from './wait.js';

type ServerExtras = Omit<UdpServerOptions, 'transport' | 'codec' | 'clock' | 'host' | 'port'>;
type ClientExtras = Omit<UdpClientOptions, 'transport' | 'peer' | 'codec' | 'clock' | 'url'>;

/** A client and a server of {@link calc} connected by an in-memory transport. */
export interface InMemoryRpc {
  readonly server: Server;
  readonly client: Client;
  readonly stub: Stub<typeof calc>;
  readonly probe: CalcProbe;
  /** Errors the server emitted. */
  readonly errors: Error[];
  /**
   * Lets time pass until every promise settles (virtual time: by driving the
   * clock; real time: by waiting, with a hang guard). Outcomes as Promise.allSettled.
   */
  settle<T>(promises: readonly Promise<T>[]): Promise<PromiseSettledResult<T>[]>;
}

export interface InMemoryTransportKind {
  readonly name: string;
  /** Starts a server and a client; pass `probe` to share its log with interceptors. */
  start(codec: Codec, server?: ServerExtras, client?: ClientExtras, probe?: CalcProbe): Promise<InMemoryRpc>;
}

/**
 * The testkit's two in-memory transports, each wired into the `udprpc`
 * createServer/createClient through their `transport` options. Everything
 * started is closed after each test.
 */
export function useInMemoryTransports(): readonly InMemoryTransportKind[] {
  const closers: (() => Promise<void>)[] = [];
  afterEach(async () => {
    await Promise.all(closers.splice(0).map((close) => close()));
  });

  const wire = async (
    serverOptions: UdpServerOptions,
    clientOptions: UdpClientOptions,
    settle: InMemoryRpc['settle'],
    probe: CalcProbe = createProbe(),
  ): Promise<InMemoryRpc> => {
    const server = createServer(serverOptions).implement(calc, calcHandlers(probe));
    const errors: Error[] = [];
    server.on('error', (e) => errors.push(e));
    await server.listen();
    const client = createClient(clientOptions);
    closers.push(() => client.close(), () => server.close());
    return { server, client, stub: client.stub(calc), probe, errors, settle };
  };

  return [
    {
      name: 'memory loopback pair (real time)',
      async start(codec, server = {}, client = {}, probe = createProbe()) {
        const { a, b } = createLoopbackPair({ maxDatagramBytes: 1200 });
        return wire(
          { ...server, codec, transport: a },
          { ...client, codec, transport: b, peer: a.address },
          (promises) => withGuard(Promise.allSettled(promises), 'the calls to settle', GUARD_MS),
          probe,
        );
      },
    },
    {
      name: 'simulated network pair (virtual clock)',
      async start(codec, server = {}, client = {}, probe = createProbe()) {
        const { clock, a, b } = createTransportPair({ conditions: { delayMs: 1, mtu: 1200 } });
        return wire(
          { ...server, codec, clock, transport: a },
          { ...client, codec, clock, random: createRandom(7), transport: b, peer: a.address },
          (promises) => settleAll(clock, promises, { maxTimeMs: 120_000 }),
          probe,
        );
      },
    },
  ];
}
