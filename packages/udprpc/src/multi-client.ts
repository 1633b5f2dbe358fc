import { createClient as createCoreClient, type Client, type ClientOptions } from '@udprpc/client';
import { msgpackCodec } from '@udprpc/codec-msgpack';
import { RpcError, systemClock, type Clock, type PeerAddress, type Transport } from '@udprpc/core';
import { FamilyTransport, type IpFamily } from './family-transport.js';
import { EndpointResolver, type LookupAll } from './resolver.js';
import { parseEndpoint } from './url.js';

/**
 * A multi-endpoint client for `udp://` URLs: host names resolve to all their
 * addresses and are re-resolved periodically; the endpoint list follows.
 * Over real UDP it gets one socket per IP family ({@link FamilyTransport});
 * with a given `transport` (a simulated network) it uses that.
 */
export function createMultiClient(
  urls: readonly string[],
  resolveIntervalMs: number,
  lookup: LookupAll,
  transport: Transport | undefined,
  rest: Omit<ClientOptions, 'transport' | 'peer' | 'peers'>,
): Client {
  if (urls.length === 0) throw new RpcError('INVALID_ARGUMENT', 'createClient: `urls` is empty');
  if (!(resolveIntervalMs >= 0)) throw new RpcError('INVALID_ARGUMENT', `createClient: resolveIntervalMs must be ≥ 0, got ${resolveIntervalMs}`);
  const endpoints = urls.map(parseEndpoint);
  let client: Client | undefined;
  const clock = rest.clock ?? systemClock;
  // Re-resolution runs on the client's one timer (its engine driver's heap),
  // not a timer of its own; the resolver starts only once the client exists.
  const onClientTimer: Clock = {
    now: () => clock.now(),
    setTimer: (delayMs, callback) => client!.setTimer(delayMs, callback),
  };
  const resolver = new EndpointResolver({
    endpoints,
    lookup,
    clock: onClientTimer,
    intervalMs: resolveIntervalMs,
    onChange: async (peers) => {
      const usable = families === undefined ? peers : await withSockets(families, peers, report);
      if (usable.length > 0) client?.setPeers(usable);
    },
    onError: (error) => report(error),
  });
  const report = (error: Error): void => {
    if (client !== undefined && client.listenerCount('error') > 0) client.emit('error', error);
  };

  // The first resolution is shared by the socket set-up and the peer list; a failure is retried by the next call.
  let first: Promise<PeerAddress[]> | undefined;
  const firstRound = (): Promise<PeerAddress[]> =>
    (first ??= resolver.resolve().catch((error: unknown) => {
      first = undefined;
      throw error;
    }));
  const families = transport === undefined ? new FamilyTransport(async () => familiesOf(await firstRound())) : undefined;

  client = createCoreClient({
    codec: msgpackCodec,
    ...rest,
    transport: transport ?? families!,
    peers: async () => {
      const peers = await firstRound();
      resolver.start(peers);
      return families === undefined ? peers : withSockets(families, peers, report);
    },
  });
  client.once('close', () => resolver.stop());
  return client;
}

function familiesOf(peers: readonly PeerAddress[]): IpFamily[] {
  const set = new Set<IpFamily>(peers.map((p) => (p.family === 'IPv6' ? 'IPv6' : 'IPv4')));
  return [...set];
}

// Opens sockets for families new to this list; peers of a family that cannot be opened are left out.
async function withSockets(transport: FamilyTransport, peers: PeerAddress[], report: (e: Error) => void): Promise<PeerAddress[]> {
  const failed = new Set<IpFamily>();
  for (const family of familiesOf(peers)) {
    if (transport.has(family)) continue;
    try {
      await transport.ensureFamily(family);
    } catch (error) {
      failed.add(family);
      report(RpcError.from(error, 'UNAVAILABLE'));
    }
  }
  return failed.size === 0 ? peers : peers.filter((p) => !failed.has(p.family === 'IPv6' ? 'IPv6' : 'IPv4'));
}
