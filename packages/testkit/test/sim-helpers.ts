import type { PeerAddress } from '@udprpc/core';
import { SimNetwork, VirtualClock, type LinkConditions, type SimTransport } from '@udprpc/testkit';

export interface Arrival {
  atMs: number;
  to: string;
  from: string;
  hex: string;
}

export const hex = (bytes: Uint8Array): string => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');

/** A network with listening endpoints `names`, every arrival logged. */
export async function setup(seed: number, defaults: LinkConditions = {}, names = ['a', 'b', 'c']) {
  const clock = new VirtualClock();
  const net = new SimNetwork({ clock, seed, defaults });
  const log: Arrival[] = [];
  const eps: Record<string, SimTransport> = {};
  for (const name of names) {
    const ep = net.endpoint(name);
    eps[name] = ep;
    await ep.listen(
      (bytes, from: PeerAddress) => log.push({ atMs: clock.now(), to: name, from: from.address, hex: hex(bytes) }),
      (error) => {
        throw error;
      },
    );
  }
  const ep = (name: string): SimTransport => eps[name]!;
  const send = (from: string, to: string, bytes: Uint8Array | number[]): void =>
    ep(from).send(bytes instanceof Uint8Array ? bytes : Uint8Array.from(bytes), ep(to).address);
  return { clock, net, log, ep, send };
}

export function popcount(x: number): number {
  let n = 0;
  for (let v = x; v !== 0; v &= v - 1) n++;
  return n;
}
