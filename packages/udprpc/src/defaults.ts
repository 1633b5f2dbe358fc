import { lookup } from 'node:dns/promises';
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
import { createUdpTransport } from '@udprpc/transport-udp';
import { parseEndpoint } from './url.js';

/** Options of {@link createServer}: where to listen, plus everything {@link ServerOptions} takes. */
export interface UdpServerOptions extends Omit<ServerOptions, 'transport'> {
  /** Address to bind: `'127.0.0.1'` (default), `'::1'`, `'0.0.0.0'`, `'::'`. */
  host?: string;
  /** Port to bind; 0 (default) picks a free one. */
  port?: number;
  /** Serve on this transport instead of a UDP socket (e.g. the testkit's simulated network). */
  transport?: Transport;
}

/**
 * Creates a server over UDP with the msgpack codec. Call `implement()` for
 * each contract, then `listen()`.
 */
export function createServer(options: UdpServerOptions = {}): Server {
  const { host = '127.0.0.1', port = 0, transport, ...rest } = options;
  return createCoreServer({
    codec: msgpackCodec,
    ...rest,
    transport: transport ?? createUdpTransport({ host, port }),
  });
}

/** Options of {@link createClient}: a URL, plus everything {@link ClientOptions} takes. */
export interface UdpClientOptions extends Omit<ClientOptions, 'transport' | 'peer'> {
  /** `udp://host:port`; IPv6 literals in brackets. Host names are resolved once, on first use. */
  url?: string;
  /** Instead of `url`: a transport and a peer on it (e.g. the testkit's simulated network). */
  transport?: Transport;
  peer?: PeerAddress;
}

/** Creates a client for the server at `options.url`, over UDP with the msgpack codec. */
export function createClient(options: UdpClientOptions): Client {
  const { url, transport, peer, ...rest } = options;
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
      transport: createUdpTransport({ host: family === 'IPv6' ? '::' : '0.0.0.0', port: 0, type: family === 'IPv6' ? 'udp6' : 'udp4', ...(family === 'IPv6' ? { ipv6Only: true } : {}) }),
      peer: { address: endpoint.host, family, port: endpoint.port },
    });
  }
  const resolved = lookup(endpoint.host).then(
    (r) => ({ address: r.address, family: r.family === 6 ? 'IPv6' : 'IPv4', port: endpoint.port }) as const,
    (e: unknown) => {
      throw new RpcError('UNAVAILABLE', `could not resolve ${endpoint.host}`, { cause: e });
    },
  );
  return createCoreClient({
    codec: msgpackCodec,
    ...rest,
    transport: deferredUdpTransport(resolved),
    peer: resolved,
  });
}

// A UDP transport of the family the host name resolves to, made on first listen.
function deferredUdpTransport(peer: Promise<PeerAddress>): Transport {
  let inner: Transport | undefined;
  let closed = false;
  return {
    async listen(onDatagram, onError) {
      const { family } = await peer;
      if (closed) throw new RpcError('CANCELLED', 'transport closed');
      const udp = createUdpTransport(family === 'IPv6' ? { host: '::', type: 'udp6', ipv6Only: true } : { host: '0.0.0.0', type: 'udp4' });
      inner = udp;
      return udp.listen(onDatagram, onError);
    },
    send(bytes, to) {
      inner?.send(bytes, to);
    },
    async close() {
      closed = true;
      await inner?.close();
    },
  };
}
