// k-rpc-socket (the BitTorrent DHT's KRPC layer: bencode, a 2-byte
// transaction id, one timeout per query and no retries).
import type { Driver, ServerHandle } from '../lib/contract.js';
import { importPeer } from './load.js';

interface KrpcPeer {
  host: string;
  port: number;
}
interface KrpcQuery {
  q: string | Uint8Array;
  a: { a: number; b: number };
}
interface KrpcSocket {
  socket: { address(): { port: number } };
  on(event: 'query', listener: (query: KrpcQuery, peer: KrpcPeer) => void): void;
  on(event: 'warning' | 'error', listener: (error: Error) => void): void;
  bind(port: number, address: string, callback: () => void): void;
  query(peer: KrpcPeer, query: KrpcQuery, callback: (error: Error | null, response: { r: { v: number } }) => void): number;
  response(peer: KrpcPeer, query: KrpcQuery, response: { v: number }): void;
  destroy(): void;
}
type KrpcFactory = (options?: { timeout?: number }) => KrpcSocket;

async function load(): Promise<KrpcFactory> {
  const mod = await importPeer('k-rpc-socket');
  if (mod === undefined) throw new Error('k-rpc-socket is not installed');
  return mod as unknown as KrpcFactory;
}

export async function startKrpcServer(): Promise<ServerHandle> {
  const rpc = (await load())();
  rpc.on('query', (query, peer) => rpc.response(peer, query, { v: query.a.a + query.a.b }));
  rpc.on('warning', () => {});
  await new Promise<void>((resolve) => rpc.bind(0, '127.0.0.1', resolve));
  return { port: rpc.socket.address().port, close: async () => rpc.destroy() };
}

export async function createKrpcDriver(port: number, timeoutMs: number): Promise<Driver> {
  const rpc = (await load())({ timeout: timeoutMs });
  rpc.on('warning', () => {});
  await new Promise<void>((resolve) => rpc.bind(0, '127.0.0.1', resolve));
  const peer = { host: '127.0.0.1', port };
  return {
    add: (a, b) =>
      new Promise((resolve, reject) => {
        rpc.query(peer, { q: 'add', a: { a, b } }, (error, response) => (error ? reject(error) : resolve(response.r.v)));
      }),
    echo: () => Promise.reject(new Error('k-rpc-socket: echo is not benchmarked')),
    close: async () => rpc.destroy(),
  };
}
