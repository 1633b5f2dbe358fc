import { afterEach } from 'vitest';
import {
  createClient,
  createServer,
  createUdpTransport,
  defineContract,
  method,
  RpcError,
  type Client,
  type PeerAddress,
  type Server,
  type Transport,
} from 'udprpc';
import { createGroupTransport, type GroupTransport, type GroupTransportOptions } from '@udprpc/transport-udp';

/** Everything stays on this host: members join on 127.0.0.1, callers send with TTL 0. */
export const LOOPBACK = '127.0.0.1';

/** The contract every member of the test groups implements. */
export const greeter = defineContract('greeter', {
  /** Answers with the member's name; `hello` is at-most-once, so retransmissions must not re-run it. */
  hello: method<{ name: string }, { server: string; greeting: string }>(),
  /** A reply of `size` characters: large enough and the member must validate the caller's address first. */
  blob: method<{ size: number }, string>({ idempotent: true }),
});

/** How a test member behaves. */
export interface MemberOptions {
  /** The handler throws this RpcError instead of answering. */
  failWith?: RpcError;
  /** The transport loses the member's first outgoing datagram (its first reply). */
  dropFirstReply?: boolean;
}

/** One running group member. */
export interface Member {
  readonly name: string;
  readonly server: Server;
  readonly transport: GroupTransport;
  /** The member's unicast address: what `listen` resolved with. */
  readonly address: PeerAddress;
  /** How many times the handler ran. */
  handlerRuns: number;
  /** Outgoing datagrams the lossy wrapper dropped. */
  dropped: number;
}

/** A transport that loses the first datagram sent through `inner`. */
function loseFirstSend(inner: GroupTransport, member: { dropped: number }): Transport {
  return {
    listen: (onDatagram, onError) => inner.listen(onDatagram, onError),
    send: (bytes, to) => {
      if (member.dropped === 0) {
        member.dropped++;
        return;
      }
      inner.send(bytes, to);
    },
    close: () => inner.close(),
    maxDatagramBytes: inner.maxDatagramBytes,
  };
}

/** Starts members and group clients that are all closed after each test. */
export function useGroup(): {
  startMember(name: string, group: Omit<GroupTransportOptions, 'interface'>, options?: MemberOptions): Promise<Member>;
  groupClient(group: PeerAddress, options?: { broadcast?: boolean }): Client;
  unicastClient(peer: PeerAddress): Client;
} {
  const servers: Server[] = [];
  const clients: Client[] = [];
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });
  return {
    async startMember(name, group, options = {}) {
      const transport = createGroupTransport({ ...(group.broadcast === true ? {} : { interface: LOOPBACK }), host: LOOPBACK, ...group });
      const state = { dropped: 0, handlerRuns: 0 };
      const server = createServer({ transport: options.dropFirstReply === true ? loseFirstSend(transport, state) : transport });
      servers.push(server);
      server.implement(greeter, {
        hello: ({ name: who }) => {
          state.handlerRuns++;
          if (options.failWith !== undefined) throw options.failWith;
          return { server: name, greeting: `hello ${who} from ${name}` };
        },
        blob: ({ size }) => name.repeat(size).slice(0, size),
      });
      const address = await server.listen();
      return {
        name,
        server,
        transport,
        address,
        get handlerRuns() {
          return state.handlerRuns;
        },
        get dropped() {
          return state.dropped;
        },
      } as Member;
    },
    groupClient(group, options = {}) {
      // What reaching loopback members takes: the multicast interface 127.0.0.1
      // (the default route's interface would miss them) and TTL 0 (never leave
      // this host); SO_BROADCAST for a broadcast address.
      const transport = createUdpTransport({
        host: LOOPBACK,
        multicastInterface: LOOPBACK,
        multicastTtl: 0,
        multicastLoopback: true,
        ...(options.broadcast === true ? { broadcast: true } : {}),
      });
      const client = createClient({ transport, peer: group });
      clients.push(client);
      return client;
    },
    unicastClient(peer) {
      const client = createClient({ url: `udp://${peer.address}:${peer.port}` });
      clients.push(client);
      return client;
    },
  };
}

/** Drains a group call (bounded by its collectMs / maxReplies). */
export async function collect<T>(replies: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const reply of replies) all.push(reply);
  return all;
}

/**
 * Whether loopback multicast works here: a group member must receive a
 * datagram sent to 239.255.x.y via 127.0.0.1 with TTL 0. Resolves with the
 * reason when it does not, so tests can skip with it.
 */
export async function loopbackMulticastProblem(group: string): Promise<string | undefined> {
  const member = createGroupTransport({ group, port: 0, interface: LOOPBACK });
  const sender = createUdpTransport({ host: LOOPBACK, multicastInterface: LOOPBACK, multicastTtl: 0, multicastLoopback: true });
  let guard: ReturnType<typeof setTimeout> | undefined;
  try {
    const arrived = new Promise<string | undefined>((resolve) => {
      guard = setTimeout(() => resolve('no datagram arrived within 5 s'), 5000);
      member
        .listen(
          () => resolve(undefined),
          (e) => resolve(e.message),
        )
        .then(
          () => sender.listen(() => {}, (e) => resolve(e.message)).then(() => sender.send(new Uint8Array([1]), member.groupAddress!)),
          (e: unknown) => resolve(e instanceof Error ? e.message : String(e)),
        )
        .catch((e: unknown) => resolve(e instanceof Error ? e.message : String(e)));
    });
    return await arrived;
  } finally {
    clearTimeout(guard);
    await Promise.all([member.close(), sender.close()]);
  }
}
