// The raw node:dgram baseline server: decode [id, op, arg], answer [id, result].
import { createSocket } from 'node:dgram';
import type { ServerHandle } from '../lib/contract.js';
import { OP_ADD, OP_ECHO, packr } from './codec.js';

export async function startBaselineServer(): Promise<ServerHandle> {
  const socket = createSocket('udp4');
  let requests = 0;
  let malformed = 0;
  socket.on('message', (msg, rinfo) => {
    let request: unknown;
    try {
      request = packr.unpack(msg);
    } catch {
      malformed++;
      return;
    }
    if (!Array.isArray(request)) {
      malformed++;
      return;
    }
    requests++;
    const [id, op, arg] = request as [number, number, unknown];
    let result: unknown;
    if (op === OP_ADD) {
      const { a, b } = arg as { a: number; b: number };
      result = a + b;
    } else if (op === OP_ECHO) {
      result = arg;
    }
    socket.send(packr.pack([id, result]), rinfo.port, rinfo.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return {
    port: socket.address().port,
    stats: () => ({ requests, malformed }),
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}
