import { createSocket, type Socket } from 'node:dgram';
import { afterEach } from 'vitest';
import type { PeerAddress } from 'udprpc';
import { waitFor } from './wait.js';

/** A plain node:dgram socket for sending hand-made datagrams at a server. */
export interface RawSocket {
  readonly address: PeerAddress;
  /** Datagrams received, copied. */
  readonly received: Uint8Array[];
  /** Sends one datagram; resolves once the kernel took it. */
  send(bytes: Uint8Array, to: PeerAddress): Promise<void>;
  /** Resolves once `count` datagrams have arrived (bounded wait). */
  waitForReplies(count: number): Promise<void>;
}

/** Opens raw UDP sockets that are all closed after each test. */
export function useRawSockets(): { open(host: string): Promise<RawSocket> } {
  const sockets: Socket[] = [];
  afterEach(async () => {
    await Promise.all(sockets.splice(0).map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  });
  return {
    async open(host) {
      const socket = createSocket(host.includes(':') ? 'udp6' : 'udp4');
      sockets.push(socket);
      const received: Uint8Array[] = [];
      socket.on('message', (msg) => received.push(Uint8Array.from(msg)));
      await new Promise<void>((resolve, reject) => {
        socket.once('error', reject);
        socket.bind(0, host, () => {
          socket.off('error', reject);
          resolve();
        });
      });
      const a = socket.address();
      return {
        address: { address: a.address, family: a.family === 'IPv6' ? 'IPv6' : 'IPv4', port: a.port },
        received,
        send: (bytes, to) =>
          new Promise<void>((resolve, reject) => {
            socket.send(bytes, to.port, to.address, (error) => (error ? reject(error) : resolve()));
          }),
        waitForReplies: (count) => waitFor(() => received.length >= count, `${count} datagram(s) at the raw socket`),
      };
    },
  };
}
