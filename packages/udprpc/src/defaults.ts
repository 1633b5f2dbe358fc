import { createMultiClient } from './multi-client.js';
import { DEFAULT_RESOLVE_INTERVAL_MS, systemLookup, type LookupAll } from './resolver.js';
import {
  createClient as createCoreClient,
  type Client,
  type ClientOptions,
} from '@udprpc/client';
import { msgpackCodec } from '@udprpc/codec-msgpack';
import { RpcError, type PeerAddress, type Transport } from '@udprpc/core';
import {
  createServer as createCoreServer,
  type Server,
  type ServerOptions,
} from '@udprpc/server';
import { createUdpTransport, isMulticastAddress, type UdpTransportOptions } from '@udprpc/transport-udp';
import type { DnsOptions } from './srv-discovery.js';
import { isSrvUrl } from './srv-url.js';
import { parseEndpoint } from './url.js';
import { checkEndpointOptions } from './options-check.js';
import { checkObject, checkOptionalObject } from '@udprpc/core/engine';

/** Options of {@link createServer}: where to listen, plus everything {@link ServerOptions} takes. */
export interface UdpServerOptions extends Omit<ServerOptions, 'transport'> {
  /** Address to bind: `'127.0.0.1'` (default), `'::1'`, `'0.0.0.0'`, `'::'`. */
  host?: string;
  /** Port to bind; 0 (default) picks a free one. */
  port?: number;
  /** Serve on this transport instead of a UDP socket (e.g. the testkit's simulated network). */
  transport?: Transport;
  /** Options for the UDP socket the server creates (buffer sizes, multicast, broadcast). */
  socket?: SocketOptions;
}

/**
 * Socket options for the UDP sockets `createServer` / `createClient` create,
 * e.g. `{ multicastInterface: '127.0.0.1', multicastTtl: 0 }` to call a
 * multicast group on this host (docs/group-calls.md), or larger buffers.
 */
export type SocketOptions = Pick<
  UdpTransportOptions,
  'multicastInterface' | 'multicastTtl' | 'multicastLoopback' | 'broadcast' | 'recvBufferBytes' | 'sendBufferBytes' | 'reuseAddr'
>;

/**
 * Creates a server over UDP with the msgpack codec. Call `implement()` for
 * each contract, then `listen()`.
 *
 * @throws TypeError or RangeError, naming the option, for a bad option: of
 * the UDP socket (`host` not an IP literal, `port` 70000, …, from
 * `createUdpTransport`) or of the server (from `@udprpc/server`'s
 * `createServer`). Nothing is bound until `listen()`.
 */
export function createServer(options: UdpServerOptions = {}): Server {
  checkObject(options as unknown, 'options');
  checkOptionalObject(options.socket, 'options.socket');
  const { host = '127.0.0.1', port = 0, transport, socket, ...rest } = options;
  return createCoreServer({
    codec: msgpackCodec,
    // A port the kernel picks now had no earlier server whose calls could
    // still be retransmitted to it: no start-up grace (protocol.md §6.3).
    ...(transport === undefined && port === 0 ? { startupGraceMs: 0 } : {}),
    ...rest,
    transport: transport ?? createUdpTransport({ ...socket, host, port }),
  });
}

/** Options of {@link createClient}: where the server(s) are, plus everything {@link ClientOptions} takes. */
export interface UdpClientOptions extends Omit<ClientOptions, 'transport' | 'peer' | 'peers'> {
  /**
   * `udp://host:port`; IPv6 literals in brackets. A host name is resolved on
   * first use (not when the client is created) to its first address, with
   * `lookup`; a failed lookup fails that call with UNAVAILABLE and is tried
   * again by the next call. A successful one is kept for the client's life.
   *
   * `udp+srv://_service._udp.domain` discovers the servers through DNS SRV
   * records instead and makes a multi-endpoint client, as if given in
   * `urls` (docs/multi-endpoint.md "Discovery through DNS SRV").
   */
  url?: string;
  /**
   * Several `udp://host:port` endpoints of one service (docs/multi-endpoint.md).
   * Each host name resolves to ALL its A/AAAA records, re-resolved every
   * `resolveIntervalMs`; endpoints that disappear get no new calls (their
   * calls in flight finish). One socket per IP family in use.
   * `udp+srv://_service._udp.domain` entries are resolved through DNS SRV
   * records (priority, weight, port, target), re-resolved on TTL.
   */
  urls?: readonly string[];
  /** How `udp+srv://` URLs are resolved: DNS servers, timeouts, TTL floor and ceiling. */
  dns?: DnsOptions;
  /** Re-resolution period of the host names in `urls`, in ms (30 000); 0 resolves once. */
  resolveIntervalMs?: number;
  /** Resolves a host name to all its addresses (default `dns.lookup(host, { all: true })`); inject for tests or custom discovery. With `url`, the first address is used. */
  lookup?: LookupAll;
  /** Instead of `url`: a transport and a peer on it (e.g. the testkit's simulated network). Also usable with `urls`. */
  transport?: Transport;
  /** With `transport`: the server on it. */
  peer?: PeerAddress;
  /** Instead of `url`: a transport and several peers on it. */
  peers?: readonly PeerAddress[];
  /** Options for the UDP socket created for `url` (buffer sizes, multicast, broadcast). */
  socket?: SocketOptions;
}

/**
 * Creates a client over UDP with the msgpack codec, for the server at
 * `options.url`, or for several servers (`urls`, or `transport` + `peers`).
 *
 * @throws TypeError for an option of the wrong type or shape (none or
 * several of `url`, `urls`, `peer` and `peers`; `peer` without `transport`;
 * a URL that is not `udp://host:port` or `udp+srv://name`; a non-function
 * `lookup`, …), and RangeError for one of the right type out of range (a
 * URL's port 70000, empty `urls`, a negative `resolveIntervalMs`,
 * `dns.attempts` 0, …), at once; the message names the option. Everything
 * `@udprpc/client`'s `createClient` throws, too. A host name is looked up
 * at the first call: a failed lookup fails that call with RpcError UNAVAILABLE.
 */
export function createClient(options: UdpClientOptions): Client {
  checkEndpointOptions(options);
  const { url, urls, resolveIntervalMs, lookup, transport, peer, peers, socket, dns, ...rest } = options;
  const given = [url, urls, peer, peers].filter((x) => x !== undefined).length;
  if (given > 1) throw new TypeError('createClient: pass only one of options.url, options.urls, options.peer and options.peers');
  const many = urls ?? (url !== undefined && isSrvUrl(url) ? [url] : undefined);
  if (many !== undefined) return createMultiClient(many, resolveIntervalMs ?? DEFAULT_RESOLVE_INTERVAL_MS, lookup ?? systemLookup, transport, dns ?? {}, rest);
  if (peers !== undefined) {
    if (transport === undefined) throw new TypeError('createClient: options.peers needs options.transport (or use options.urls)');
    return createCoreClient({ codec: msgpackCodec, ...rest, transport, peers });
  }
  if (transport !== undefined || peer !== undefined) {
    if (transport === undefined || peer === undefined) {
      throw new TypeError(`createClient: options.${transport === undefined ? 'peer needs options.transport' : 'transport needs options.peer'} (or pass options.url)`);
    }
    return createCoreClient({ codec: msgpackCodec, ...rest, transport, peer });
  }
  if (url === undefined) throw new TypeError('createClient: options.url is required (udp://host:port), or options.urls, or options.transport with options.peer or options.peers');
  const endpoint = parseEndpoint(url, 'options.url');
  if (endpoint.ipVersion !== 0) {
    const family = endpoint.ipVersion === 6 ? 'IPv6' : 'IPv4';
    return createCoreClient({
      codec: msgpackCodec,
      ...rest,
      transport: createUdpTransport({
        ...socket,
        host: family === 'IPv6' ? '::' : '0.0.0.0',
        port: 0,
        type: family === 'IPv6' ? 'udp6' : 'udp4',
        ...(family === 'IPv6' ? { ipv6Only: true } : {}),
        // One unicast server: a connected socket skips per-send address work and
        // lets the kernel filter other sources. Group addresses answer from
        // many addresses, so they stay unconnected.
        ...(isMulticastAddress(endpoint.host) || socket?.broadcast === true ? {} : { connect: { address: endpoint.host, port: endpoint.port } }),
      }),
      peer: { address: endpoint.host, family, port: endpoint.port },
    });
  }
  const resolve = lazyLookup(endpoint.host, endpoint.port, lookup ?? systemLookup);
  return createCoreClient({
    codec: msgpackCodec,
    ...rest,
    transport: deferredUdpTransport(resolve, socket),
    peer: resolve,
  });
}

/**
 * Resolves `host` when first asked, not before: a promise made at creation
 * would reject unhandled if no call came in the same tick. The transport and
 * the client share one lookup per connection attempt; a failure is forgotten,
 * so the next call looks the name up again, and a success is kept.
 */
function lazyLookup(host: string, port: number, lookup: LookupAll): () => Promise<PeerAddress> {
  let pending: Promise<PeerAddress> | undefined;
  const once = async (): Promise<PeerAddress> => {
    let records: Awaited<ReturnType<LookupAll>>;
    try {
      records = await lookup(host);
    } catch (error) {
      throw new RpcError('UNAVAILABLE', `could not resolve ${host}`, { cause: error });
    }
    const first = records[0];
    if (first === undefined) throw new RpcError('UNAVAILABLE', `could not resolve ${host}: no A/AAAA records`);
    return { address: first.address, family: first.family === 6 ? 'IPv6' : 'IPv4', port };
  };
  return () =>
    (pending ??= once().catch((error: unknown) => {
      pending = undefined;
      throw error;
    }));
}

// A UDP transport of the family the host name resolves to, made on first listen.
function deferredUdpTransport(peer: () => Promise<PeerAddress>, socket: SocketOptions | undefined): Transport {
  let inner: Transport | undefined;
  let closed = false;
  let refed = true;
  return {
    async listen(onDatagram, onError, onUnreachable) {
      const { family } = await peer();
      if (closed) throw new RpcError('CANCELLED', 'transport closed');
      const udp = createUdpTransport({
        ...socket,
        ...(family === 'IPv6' ? { host: '::', type: 'udp6', ipv6Only: true } : { host: '0.0.0.0', type: 'udp4' }),
      });
      inner = udp;
      if (!refed) udp.setRef(false);
      return udp.listen(onDatagram, onError, onUnreachable);
    },
    send(bytes, to) {
      inner?.send(bytes, to);
    },
    setRef(ref) {
      refed = ref;
      inner?.setRef?.(ref);
    },
    async close() {
      closed = true;
      await inner?.close();
    },
  };
}
