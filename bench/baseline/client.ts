// The raw node:dgram baseline client, as a user would write it by hand: a
// Map of pending ids, one timeout per call, no retries. A lost request or
// reply is a lost call.
import { createSocket } from 'node:dgram';
import type { Driver } from '../lib/contract.js';
import { OP_ADD, OP_ECHO, packr } from './codec.js';

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

export interface BaselineClientOptions {
  port: number;
  /** Per-call timeout: when it passes, the call counts as lost. */
  timeoutMs: number;
  /** Simulated loss on this side: true drops the datagram (sent or received). */
  drop: () => boolean;
}

export async function createBaselineClient(o: BaselineClientOptions): Promise<Driver> {
  const socket = createSocket('udp4');
  const pending = new Map<number, Pending>();
  let nextId = (Math.random() * 0x7fffffff) | 0;
  let lost = 0;
  let unknownReplies = 0;

  socket.on('message', (msg) => {
    if (o.drop()) return;
    let reply: unknown;
    try {
      reply = packr.unpack(msg);
    } catch {
      return;
    }
    const [id, result] = reply as [number, unknown];
    const p = pending.get(id);
    if (p === undefined) {
      unknownReplies++;
      return;
    }
    pending.delete(id);
    clearTimeout(p.timer);
    p.resolve(result);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));

  const call = (op: number, arg: unknown): Promise<unknown> =>
    new Promise((resolve, reject) => {
      const id = (nextId = (nextId + 1) & 0x7fffffff);
      const timer = setTimeout(() => {
        pending.delete(id);
        lost++;
        reject(new Error(`lost (no reply within ${o.timeoutMs} ms)`));
      }, o.timeoutMs);
      pending.set(id, { resolve, reject, timer });
      if (!o.drop()) socket.send(packr.pack([id, op, arg]), o.port, '127.0.0.1');
    });

  return {
    async add(a, b) {
      return (await call(OP_ADD, { a, b })) as number;
    },
    async echo(bytes) {
      return (await call(OP_ECHO, bytes)) as Uint8Array;
    },
    stats: () => ({ lost, unknownReplies }),
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}
