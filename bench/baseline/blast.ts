// The MB/s baseline: a one-way blast of raw datagrams (60 KB each) followed by
// an "end" marker that the receiver acknowledges with the byte count it got.
// No flow control and no retransmission: what loopback UDP gives a sender
// that does nothing but write. Bytes the receiver missed are reported.
import { createSocket } from 'node:dgram';
import type { Driver, ServerHandle } from '../lib/contract.js';

export const BLAST_DATAGRAM_BYTES = 60_000;
const DATA = 1;
const END = 2;
const ACK = 3;
const END_RETRY_MS = 20;

/** The receiving end, in the server process. */
export async function startBlastReceiver(recvBufferBytes?: number): Promise<ServerHandle> {
  const socket = createSocket('udp4');
  let run = -1;
  let received = 0;
  let datagrams = 0;
  socket.on('message', (msg, rinfo) => {
    const type = msg[0];
    const id = msg.readUInt32BE(1);
    if (type === DATA) {
      if (id !== run) {
        run = id;
        received = 0;
      }
      received += msg.length;
      datagrams++;
    } else if (type === END) {
      const ack = Buffer.alloc(13);
      ack[0] = ACK;
      ack.writeUInt32BE(id, 1);
      ack.writeDoubleBE(id === run ? received : 0, 5);
      socket.send(ack, rinfo.port, rinfo.address);
    }
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  if (recvBufferBytes !== undefined) socket.setRecvBufferSize(recvBufferBytes);
  return {
    port: socket.address().port,
    stats: () => ({ datagrams, recvBufferBytes: socket.getRecvBufferSize() }),
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}

/**
 * The sending end, as a {@link Driver}: `echo(bytes)` blasts 2 × bytes.length
 * bytes (what an echo call moves: request and reply) and resolves on the ack.
 */
export async function createBlastSender(port: number, timeoutMs: number): Promise<Driver & { deliveredBytes(): number }> {
  const socket = createSocket('udp4');
  let run = (Math.random() * 0xffffffff) >>> 0;
  let waiting: { id: number; resolve(bytes: number): void } | undefined;
  let sent = 0;
  let delivered = 0;
  socket.on('message', (msg) => {
    if (msg[0] !== ACK || waiting === undefined || msg.readUInt32BE(1) !== waiting.id) return;
    const w = waiting;
    waiting = undefined;
    w.resolve(msg.readDoubleBE(5));
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const chunk = Buffer.alloc(BLAST_DATAGRAM_BYTES, 0x5a);

  const blast = async (total: number): Promise<number> => {
    const id = (run = (run + 1) >>> 0);
    chunk[0] = DATA;
    chunk.writeUInt32BE(id, 1);
    for (let off = 0; off < total; off += BLAST_DATAGRAM_BYTES) {
      const n = Math.min(BLAST_DATAGRAM_BYTES, total - off);
      socket.send(n === BLAST_DATAGRAM_BYTES ? chunk : chunk.subarray(0, n), port, '127.0.0.1');
    }
    sent += total;
    const end = Buffer.alloc(13);
    end[0] = END;
    end.writeUInt32BE(id, 1);
    end.writeDoubleBE(total, 5);
    const got = await new Promise<number>((resolve, reject) => {
      waiting = { id, resolve };
      const started = Date.now();
      const resend = (): void => {
        if (waiting?.id !== id) return;
        if (Date.now() - started > timeoutMs) {
          waiting = undefined;
          reject(new Error('blast: no ack for the end marker'));
          return;
        }
        socket.send(end, port, '127.0.0.1');
        setTimeout(resend, END_RETRY_MS);
      };
      resend();
    });
    delivered += got;
    return got;
  };

  return {
    add: () => Promise.reject(new Error('blast: no add')),
    async echo(bytes) {
      await blast(2 * bytes.length);
      return bytes;
    },
    deliveredBytes: () => delivered,
    stats: () => ({ sentBytes: sent, deliveredBytes: delivered, lostBytes: sent - delivered }),
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}
