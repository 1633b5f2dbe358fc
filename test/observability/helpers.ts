import { channel, tracingChannel, type Channel } from 'node:diagnostics_channel';
import { createClient, type Client, type ClientOptions } from '@udprpc/client';
import { defineContract, method, RpcError, type PeerAddress } from '@udprpc/core';
import { createServer, type Server, type ServerOptions } from '@udprpc/server';
import { createRandom, createTransportPair, type SimNetwork, type VirtualClock } from '@udprpc/testkit';

/** A contract whose handlers take a controlled amount of virtual time. */
export const obs = defineContract('obs', {
  add: method<{ a: number; b: number }, number>(),
  /** Async: resolves after `ms` of virtual time. */
  wait: method<number, number>(),
  /** Throws FAILED_PRECONDITION with details. */
  refuse: method<number, never>(),
});

export interface Rig {
  readonly clock: VirtualClock;
  readonly network: SimNetwork;
  readonly server: Server;
  readonly client: Client;
  readonly serverAddress: PeerAddress;
  readonly clientAddress: PeerAddress;
  close(): Promise<void>;
}

/** A server of {@link obs} and a client on a simulated network (virtual clock). */
export async function startRig(
  options: { delayMs?: number; server?: Partial<ServerOptions>; client?: Partial<ClientOptions> } = {},
): Promise<Rig> {
  const { clock, network, a, b } = createTransportPair({ conditions: { delayMs: options.delayMs ?? 1 } });
  const server = createServer({ transport: a, clock, random: createRandom(3), ...options.server }).implement(obs, {
    add: ({ a: x, b: y }) => x + y,
    wait: (ms) => new Promise<number>((resolve) => clock.setTimer(ms, () => resolve(ms))),
    refuse: (n) => {
      throw new RpcError('FAILED_PRECONDITION', `refused ${n}`, { details: { n } });
    },
  });
  await server.listen();
  const client = createClient({ transport: b, clock, random: createRandom(7), peer: a.address, ...options.client });
  return {
    clock,
    network,
    server,
    client,
    serverAddress: a.address,
    clientAddress: b.address,
    close: async () => {
      await client.close();
      await server.close();
    },
  };
}

export const CALL_EVENTS = ['start', 'end', 'asyncStart', 'asyncEnd', 'error'] as const;

/** Every named channel of udprpc, plain ones and the sub-channels of the tracing ones. */
export function allChannels(): Channel[] {
  const traced = ['udprpc:client:call', 'udprpc:server:call'].flatMap((name) => {
    const tc = tracingChannel(name);
    return [tc.start, tc.end, tc.asyncStart, tc.asyncEnd, tc.error];
  });
  const plain = ['udprpc:client:retransmit', 'udprpc:client:pushback', 'udprpc:client:drop', 'udprpc:server:drop'].map((n) => channel(n));
  return [...traced, ...plain];
}

/** One recorded event: which channel, a copy of the message's own fields then, and the message itself. */
export interface Recorded {
  readonly event: string;
  readonly fields: Record<string, unknown>;
  readonly message: object;
}

/**
 * Subscribes to every udprpc channel, recording events in one list in
 * publication order. Returns the list and an unsubscribe function.
 */
export function recordAll(): { events: Recorded[]; stop(): void } {
  const events: Recorded[] = [];
  const undo: (() => void)[] = [];
  for (const side of ['client', 'server']) {
    const tc = tracingChannel(`udprpc:${side}:call`);
    const handlers = Object.fromEntries(
      CALL_EVENTS.map((event) => [event, (message: unknown) => events.push(record(`${side}:call:${event}`, message))]),
    ) as unknown as Parameters<typeof tc.subscribe>[0];
    tc.subscribe(handlers);
    undo.push(() => tc.unsubscribe(handlers));
  }
  for (const name of ['client:retransmit', 'client:pushback', 'client:drop', 'server:drop']) {
    const listener = (message: unknown): void => {
      events.push(record(name, message));
    };
    channel(`udprpc:${name}`).subscribe(listener);
    undo.push(() => channel(`udprpc:${name}`).unsubscribe(listener));
  }
  return { events, stop: () => undo.forEach((f) => f()) };
}

function record(event: string, message: unknown): Recorded {
  return { event, fields: { ...(message as Record<string, unknown>) }, message: message as object };
}
