// Replays the exchanges of docs/test-vectors/ against the real server and
// client engine, and reports what they did in the vectors' terms.
import { defineContract, method, type PeerAddress, type Transport } from '@udprpc/core';
import { encodeMethodName } from '@udprpc/core/wire';
import { ClientEngine, type CallOutcome } from '@udprpc/core/engine';
import { msgpackCodec } from '@udprpc/codec-msgpack';
import { createServer } from '@udprpc/server';
import { VirtualClock } from '@udprpc/testkit';
import { ARG } from './appendix-a.js';
import { hex, unhex, type ClientExchange, type ServerExchange } from './vector-format.js';

export const CLIENT_ADDRESS: PeerAddress = { address: '192.0.2.10', family: 'IPv4', port: 5000 };
export const SERVER_ADDRESS: PeerAddress = { address: '192.0.2.1', family: 'IPv4', port: 4000 };
export const OTHER_ADDRESS: PeerAddress = { address: '192.0.2.99', family: 'IPv4', port: 4000 };

const calc = defineContract('calc', { add: method<{ a: number; b: number }, number>() });

/** What a fresh reference server (see vectors.ts SERVER_SETUP) does with `exchange.datagrams`. */
export async function runServer(exchange: Pick<ServerExchange, 'datagrams'>): Promise<Omit<ServerExchange, 'name' | 'description' | 'datagrams'>> {
  const clock = new VirtualClock();
  const sent: string[] = [];
  let deliver: ((bytes: Uint8Array, from: PeerAddress) => void) | undefined;
  const transport: Transport = {
    listen: async (onDatagram) => {
      deliver = onDatagram;
      return SERVER_ADDRESS;
    },
    send: (bytes, to) => {
      if (to.address !== CLIENT_ADDRESS.address || to.port !== CLIENT_ADDRESS.port) throw new Error('sent elsewhere');
      sent.push(hex(bytes));
    },
    close: async () => {},
  };
  let runs = 0;
  const server = createServer({ transport, codec: msgpackCodec, clock, antiAmplification: false, coalesce: false }).implement(calc, {
    add: ({ a, b }) => {
      runs++;
      return a + b;
    },
  });
  await server.listen();
  for (const d of exchange.datagrams) {
    clock.advanceTo(d.atMs);
    deliver!(unhex(d.hex), CLIENT_ADDRESS);
    await clock.flushMicrotasks();
  }
  const drops = { ...server.stats().drops };
  await server.close();
  return { sent, drops: drops as Record<string, number>, runs };
}

/** Random values that make a ClientEngine pick session 0x1A2B3C4D, first id 7, and no jitter. */
function scriptedRandom(): () => number {
  const values = [(0x1a2b3c4c + 0.5) / 0xffffffff, 7.5 / 0x1_0000_0000];
  return () => values.shift() ?? 0.5;
}

/** What a fresh reference client (see vectors.ts CLIENT_SETUP) does with `exchange.datagrams`. */
export function runClient(exchange: Pick<ClientExchange, 'datagrams'>): Omit<ClientExchange, 'name' | 'description' | 'datagrams'> {
  const sent: string[] = [];
  const engine = new ClientEngine({
    send: (bytes, to) => sent.push(to === SERVER_ADDRESS || (to.address === SERVER_ADDRESS.address && to.port === SERVER_ADDRESS.port) ? hex(bytes) : `to ${to.address}: ${hex(bytes)}`),
    random: scriptedRandom(),
    codec: msgpackCodec.id,
  });
  let outcome: CallOutcome | undefined;
  const id = engine.call({ peer: SERVER_ADDRESS, method: encodeMethodName('calc.add'), payload: ARG, deadlineAt: 5000 }, 0, (o) => (outcome = o));
  if (typeof id !== 'number') throw id;
  for (const d of exchange.datagrams) engine.receive(unhex(d.hex), d.from === 'server' ? SERVER_ADDRESS : OTHER_ADDRESS, 10);
  return {
    sent,
    outcome:
      outcome === undefined
        ? { pending: true }
        : outcome.ok
          ? { ok: true, payload: hex(outcome.payload) }
          : { ok: false, code: outcome.error.code, remote: outcome.error.remote },
    drops: { ...engine.stats().drops } as Record<string, number>,
  };
}
