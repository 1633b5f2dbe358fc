// A server and a client of one contract on the testkit's simulated network
// (virtual clock, 1 ms each way), with every datagram each side sends counted.
import { createRandom, createTransportPair, settleAll, type VirtualClock } from '@udprpc/testkit';
import { afterEach } from 'vitest';
import {
  createClient,
  createServer,
  type Client,
  type Contract,
  type Handlers,
  type Server,
  type Stub,
  type Transport,
  type UdpClientOptions,
  type UdpServerOptions,
} from 'udprpc';

type ServerExtras = Omit<UdpServerOptions, 'transport' | 'clock' | 'host' | 'port'>;
type ClientExtras = Omit<UdpClientOptions, 'transport' | 'peer' | 'clock' | 'url'>;

export interface SchemaRpc<C extends Contract> {
  readonly clock: VirtualClock;
  readonly server: Server;
  readonly client: Client;
  readonly stub: Stub<C>;
  /** Errors the server emitted (`error` event). */
  readonly errors: Error[];
  /** Datagrams sent so far by each side. */
  readonly sent: { client: number; server: number };
  settle<T>(promises: readonly Promise<T>[]): Promise<PromiseSettledResult<T>[]>;
}

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

function counted(inner: Transport, count: () => void): Transport {
  return {
    listen: (onDatagram, onError) => inner.listen(onDatagram, onError),
    send(bytes, to) {
      count();
      inner.send(bytes, to);
    },
    close: () => inner.close(),
    ...(inner.maxDatagramBytes === undefined ? {} : { maxDatagramBytes: inner.maxDatagramBytes }),
  };
}

/**
 * Serves `contract` with `handlers`; the client's stub is for `clientContract`
 * (default: the same contract), so a test can give the two sides different
 * schemas under one service name.
 */
export async function startSchemaRpc<C extends Contract, CC extends Contract = C>(
  contract: C,
  handlers: Handlers<C>,
  options: { server?: ServerExtras; client?: ClientExtras; clientContract?: CC } = {},
): Promise<SchemaRpc<CC>> {
  const { clock, a, b } = createTransportPair({ conditions: { delayMs: 1, mtu: 1200 } });
  const sent = { client: 0, server: 0 };
  const server = createServer({ ...options.server, clock, transport: counted(a, () => sent.server++) }).implement(contract, handlers);
  const errors: Error[] = [];
  server.on('error', (e) => errors.push(e));
  await server.listen();
  const client = createClient({
    ...options.client,
    clock,
    random: createRandom(7),
    transport: counted(b, () => sent.client++),
    peer: a.address,
  });
  closers.push(() => client.close(), () => server.close());
  await client.connect();
  const stub = client.stub((options.clientContract ?? contract) as CC);
  return { clock, server, client, stub, errors, sent, settle: (promises) => settleAll(clock, promises, { maxTimeMs: 60_000 }) };
}

/** The RpcError a settled call failed with (or a marker when it succeeded). */
export function rejection(outcome: PromiseSettledResult<unknown> | undefined): { code: string; remote: boolean; message: string; details: unknown } {
  if (outcome?.status !== 'rejected') throw new Error(`expected a rejection, got ${JSON.stringify(outcome)}`);
  const e = outcome.reason as { code: string; remote: boolean; message: string; details: unknown };
  return { code: e.code, remote: e.remote, message: e.message, details: e.details };
}
