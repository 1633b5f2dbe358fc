import { lookup as lookupFirst } from 'node:dns/promises';
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
import { parseEndpoint } from './url.js';

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
 */
export function createServer(options: UdpServerOptions = {}): Server {
  const { host = '127.0.0.1', port = 0, transport, socket, ...rest } = options;
  return createCoreServer({
    codec: msgpackCodec,
    ...rest,
    transport: transport ?? createUdpTransport({ ...socket, host, port }),
  });
}

/** Options of {@link createClient}: where the server(s) are, plus everything {@link ClientOptions} takes. */
export interface UdpClientOptions extends Omit<ClientOptions, 'transport' | 'peer' | 'peers'> {
  /** `udp://host:port`; IPv6 literals in brackets. Host names are resolved once, on first use, to their first address. */
  url?: string;
  /**
   * Several `udp://host:port` endpoints of one service (docs/multi-endpoint.md).
   * Each host name resolves to ALL its A/AAAA records, re-resolved every
   * `resolveIntervalMs`; endpoints that disappear get no new calls (their
   * calls in flight finish). One socket per IP family in use.
   */
  urls?: readonly string[];
  /** Re-resolution period of the host names in `urls`, in ms (30 000); 0 resolves once. */
  resolveIntervalMs?: number;
  /** Resolves a host name to all its addresses (default `dns.lookup(host, { all: true })`); inject for tests or custom discovery. */
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
 */
export function createClient(options: UdpClientOptions): Client {
  const { url, urls, resolveIntervalMs, lookup, transport, peer, peers, socket, ...rest } = options;
  const given = [url, urls, peer, peers].filter((x) => x !== undefined).length;
  if (given > 1) throw new RpcError('INVALID_ARGUMENT', 'createClient: pass only one of `url`, `urls`, `peer` and `peers`');
  if (urls !== undefined) return createMultiClient(urls, resolveIntervalMs ?? DEFAULT_RESOLVE_INTERVAL_MS, lookup ?? systemLookup, transport, rest);
  if (peers !== undefined) {
    if (transport === undefined) throw new RpcError('INVALID_ARGUMENT', 'createClient: `peers` needs a `transport` (or use `urls`)');
    return createCoreClient({ codec: msgpackCodec, ...rest, transport, peers });
  }
  if (transport !== undefined || peer !== undefined) {
    if (transport === undefined || peer === undefined) {
      throw new RpcError('INVALID_ARGUMENT', 'createClient: pass both `transport` and `peer`, or a `url`');
    }
    return createCoreClient({ codec: msgpackCodec, ...rest, transport, peer });
  }
  if (url === undefined) throw new RpcError('INVALID_ARGUMENT', 'createClient: `url` is required (udp://host:port)');
  const endpoint = parseEndpoint(url);
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
  const resolved = lookupFirst(endpoint.host).then(
    (r) => ({ address: r.address, family: r.family === 6 ? 'IPv6' : 'IPv4', port: endpoint.port }) as const,
    (e: unknown) => {
      throw new RpcError('UNAVAILABLE', `could not resolve ${endpoint.host}`, { cause: e });
    },
  );
  return createCoreClient({
    codec: msgpackCodec,
    ...rest,
    transport: deferredUdpTransport(resolved, socket),
    peer: resolved,
  });
}

// A UDP transport of the family the host name resolves to, made on first listen.
function deferredUdpTransport(peer: Promise<PeerAddress>, socket: SocketOptions | undefined): Transport {
  let inner: Transport | undefined;
  let closed = false;
  let refed = true;
  return {
    async listen(onDatagram, onError) {
      const { family } = await peer;
      if (closed) throw new RpcError('CANCELLED', 'transport closed');
      const udp = createUdpTransport({
        ...socket,
        ...(family === 'IPv6' ? { host: '::', type: 'udp6', ipv6Only: true } : { host: '0.0.0.0', type: 'udp4' }),
      });
      inner = udp;
      if (!refed) udp.setRef(false);
      return udp.listen(onDatagram, onError);
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
