// node-coap: confirmable POSTs (RFC 7252 retransmission), msgpack payloads.
import type { Driver, ServerHandle } from '../lib/contract.js';
import { packr } from '../baseline/codec.js';
import { importPeer } from './load.js';

interface CoapIncoming {
  payload: Buffer;
  code: string;
}
interface CoapOutgoing {
  on(event: 'response', listener: (res: CoapIncoming) => void): void;
  on(event: 'error' | 'timeout', listener: (error: Error) => void): void;
  end(payload?: Buffer): void;
}
interface CoapServer {
  _sock?: { address(): { port: number } };
  listen(port: number, address: string, callback: (error?: Error) => void): void;
  close(callback?: () => void): void;
}
interface CoapAgent {
  close?(callback?: () => void): void;
}
interface CoapModule {
  createServer(listener: (req: CoapIncoming, res: { end(payload: Buffer): void }) => void): CoapServer;
  request(params: Record<string, unknown>): CoapOutgoing;
  Agent: new (options: { type: 'udp4' }) => CoapAgent;
}

async function load(): Promise<CoapModule> {
  const mod = await importPeer('coap');
  if (mod === undefined) throw new Error('coap is not installed');
  return mod as unknown as CoapModule;
}

export async function startCoapServer(): Promise<ServerHandle> {
  const coap = await load();
  const server = coap.createServer((req, res) => {
    const { a, b } = packr.unpack(req.payload) as { a: number; b: number };
    res.end(packr.pack(a + b));
  });
  await new Promise<void>((resolve, reject) => server.listen(0, '127.0.0.1', (e) => (e ? reject(e) : resolve())));
  const port = server._sock?.address().port;
  if (port === undefined) throw new Error('coap: could not read the bound port');
  return { port, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

export async function createCoapDriver(port: number): Promise<Driver> {
  const coap = await load();
  const agent = new coap.Agent({ type: 'udp4' });
  return {
    add: (a, b) =>
      new Promise((resolve, reject) => {
        const req = coap.request({ hostname: '127.0.0.1', port, method: 'POST', pathname: '/add', confirmable: true, agent });
        req.on('response', (res) => {
          if (res.code !== '2.05') reject(new Error(`coap: response code ${res.code}`));
          else resolve(packr.unpack(res.payload) as number);
        });
        req.on('error', reject);
        req.on('timeout', reject);
        req.end(packr.pack({ a, b }));
      }),
    echo: () => Promise.reject(new Error('coap: echo is not benchmarked')),
    close: () => new Promise<void>((resolve) => (agent.close === undefined ? resolve() : agent.close(() => resolve()))),
  };
}
