import { createClient as createCoreClient, type Client, type ClientOptions, type WeightedPeer } from '@udprpc/client';
import { msgpackCodec } from '@udprpc/codec-msgpack';
import { RpcError, systemClock, type Clock, type PeerAddress, type Transport } from '@udprpc/core';
import { FamilyTransport, type IpFamily } from './family-transport.js';
import { EndpointResolver, type LookupAll } from './resolver.js';
import { createSrvWatchers, registerDnsStats, type DnsOptions } from './srv-discovery.js';
import { isSrvUrl, parseSrvUrl } from './srv-url.js';
import { parseEndpoint } from './url.js';

/**
 * A multi-endpoint client for `udp://` and `udp+srv://` URLs: host names
 * resolve to all their addresses and are re-resolved periodically; SRV
 * names resolve to their targets (with priority and weight) and are
 * re-resolved when their TTL runs out; the endpoint list follows. The list
 * is the `udp://` endpoints first (priority 0, weight 1), then each SRV
 * name's, in `urls` order. Over real UDP it gets one socket per IP family
 * ({@link FamilyTransport}); with a given `transport` (a simulated network)
 * it uses that.
 */
export function createMultiClient(
  urls: readonly string[],
  resolveIntervalMs: number,
  lookup: LookupAll,
  transport: Transport | undefined,
  dns: DnsOptions,
  rest: Omit<ClientOptions, 'transport' | 'peer' | 'peers'>,
): Client {
  // `urls`, `resolveIntervalMs` and `dns` were checked by createClient (options-check.ts).
  const name = (i: number): string => (urls.length === 1 ? 'options.url' : `options.urls[${i}]`);
  const srvNames = urls.flatMap((u, i) => (isSrvUrl(u) ? [parseSrvUrl(u, name(i)).name] : []));
  const endpoints = urls.flatMap((u, i) => (isSrvUrl(u) ? [] : [parseEndpoint(u, name(i))]));
  const clock = rest.clock ?? systemClock;
  let client: Client | undefined;
  // Re-resolution of host names runs on the client's one timer (its engine
  // driver's heap), not a timer of its own; it starts only once the client exists.
  const onClientTimer: Clock = {
    now: () => clock.now(),
    setTimer: (delayMs, callback) => client!.setTimer(delayMs, callback),
  };
  const report = (error: Error): void => {
    if (client !== undefined && client.listenerCount('error') > 0) client.emit('error', error);
  };

  // The current list of each source; a change to any is published as the merged list.
  let plain: PeerAddress[] = [];
  const fromSrv: WeightedPeer[][] = srvNames.map(() => []);
  const merged = (): WeightedPeer[] => [...plain, ...fromSrv.flat()];
  // Publications run one after another: opening a socket for a new family is async, and a later list must not be overtaken by an earlier one.
  let publishing = Promise.resolve();
  const publish = (): Promise<void> =>
    (publishing = publishing
      .then(async () => {
        const all = merged();
        const usable = families === undefined ? all : await withSockets(families, all, report);
        if (usable.length > 0) client?.setPeers(usable);
      })
      .catch((error: unknown) => report(RpcError.from(error, 'UNAVAILABLE'))));

  const resolver =
    endpoints.length === 0
      ? undefined
      : new EndpointResolver({
          endpoints,
          lookup,
          clock: onClientTimer,
          intervalMs: resolveIntervalMs,
          onChange: async (peers) => {
            plain = peers;
            await publish();
          },
          onError: (error) => report(error),
        });
  const srv =
    srvNames.length === 0
      ? undefined
      : createSrvWatchers(srvNames, dns, clock, rest.random ?? Math.random, {
          onChange: (index, peers) => {
            fromSrv[index] = peers;
            void publish();
          },
          onError: (error) => report(error),
        });

  // One round over every source. A source that fails keeps nothing (there is no earlier list yet) and is
  // reported; the round fails only when no source gave an endpoint, with the first source's error.
  const resolveAll = async (): Promise<WeightedPeer[]> => {
    const results = await Promise.allSettled([resolver?.resolve() ?? Promise.resolve([]), ...(srv?.watchers ?? []).map((w) => w.resolveNow())]);
    const errors: RpcError[] = [];
    results.forEach((r, i) => {
      if (r.status === 'rejected') errors.push(RpcError.from(r.reason, 'UNAVAILABLE'));
      else if (i === 0) plain = r.value;
      else fromSrv[i - 1] = r.value;
    });
    const all = merged();
    if (all.length === 0) throw errors[0] ?? new RpcError('UNAVAILABLE', 'no endpoint');
    for (const e of errors) report(e);
    return all;
  };

  // The first resolution is shared by the socket set-up and the peer list; a failure is retried by the next call.
  let first: Promise<WeightedPeer[]> | undefined;
  const firstRound = (): Promise<WeightedPeer[]> =>
    (first ??= resolveAll().catch((error: unknown) => {
      first = undefined;
      throw error;
    }));
  const families = transport === undefined ? new FamilyTransport(async () => familiesOf(await firstRound())) : undefined;

  client = createCoreClient({
    codec: msgpackCodec,
    // SRV weights mean something only to the weighted balancer.
    ...(srv !== undefined && rest.balancer === undefined ? { balancer: 'weighted' as const } : {}),
    ...rest,
    transport: transport ?? families!,
    peers: async () => {
      const peers = await firstRound();
      resolver?.start(plain);
      for (const w of srv?.watchers ?? []) w.start();
      return families === undefined ? peers : withSockets(families, peers, report);
    },
  });
  if (srv !== undefined) registerDnsStats(client, srv.stats);
  client.once('close', () => {
    resolver?.stop();
    for (const w of srv?.watchers ?? []) w.stop();
  });
  return client;
}

function familiesOf(peers: readonly PeerAddress[]): IpFamily[] {
  const set = new Set<IpFamily>(peers.map((p) => (p.family === 'IPv6' ? 'IPv6' : 'IPv4')));
  return [...set];
}

// Opens sockets for families new to this list; peers of a family that cannot be opened are left out.
async function withSockets<T extends PeerAddress>(transport: FamilyTransport, peers: T[], report: (e: Error) => void): Promise<T[]> {
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
