// Several REAL udprpc servers and one multi-endpoint client on a seeded
// SimNetwork and a VirtualClock. Handlers count their executions per logical
// call (a unique `tag` in every input) across ALL servers, and a tap on the
// client's endpoint records which servers each tag's REQUESTs were sent to.
import { decodeFrame, decodeRequestBody, FrameType, splitBatch, type Frame } from '@udprpc/core/wire';
import {
  createClient,
  createServer,
  defineContract,
  method,
  msgpackCodec,
  type Client,
  type PeerAddress,
  type Server,
  type Transport,
  type UdpClientOptions,
} from 'udprpc';
import { SimNetwork, VirtualClock, createRandom, deriveSeed, type LinkConditions, type SimTransport, sleep } from '@udprpc/testkit';

/** `get` may run more than once (idempotent); `put` must run at most once. */
export const svc = defineContract('svc', {
  get: method<{ tag: number; delayMs: number }, { tag: number; server: string }>({ idempotent: true }),
  put: method<{ tag: number; delayMs: number }, { tag: number; server: string }>(),
});

/** Records the frames a client sends, decoded, before the network sees them. */
export class ClientTap implements Transport {
  readonly frames: { frame: Frame; to: PeerAddress; tag: number | undefined }[] = [];

  constructor(readonly inner: SimTransport) {}

  get maxDatagramBytes(): number {
    return this.inner.maxDatagramBytes;
  }

  listen(...args: Parameters<Transport['listen']>): ReturnType<Transport['listen']> {
    return this.inner.listen(...args);
  }

  send(bytes: Uint8Array, to: PeerAddress): void {
    this.record(bytes, to);
    this.inner.send(bytes, to);
  }

  // Records every frame, looking inside BATCH datagrams (coalescing is on by default).
  private record(bytes: Uint8Array, to: PeerAddress): void {
    const decoded = decodeFrame(bytes);
    if (!decoded.ok) return;
    if (decoded.value.type === FrameType.BATCH) {
      const parts = splitBatch(decoded.value.body);
      if (parts.ok) for (const part of parts.value) this.record(part, to);
      return;
    }
    let tag: number | undefined;
    if (decoded.value.type === FrameType.REQUEST) {
      const body = decodeRequestBody(decoded.value.body);
      const input = body.ok ? msgpackCodec.decode(body.value.payload) : undefined;
      if (input?.ok) tag = (input.value as { tag?: number }).tag;
    }
    this.frames.push({ frame: decoded.value, to, tag });
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  /** The servers (host names) REQUESTs for `tag` were sent to. */
  destinations(tag: number): Set<string> {
    return new Set(this.frames.filter((f) => f.tag === tag).map((f) => f.to.address));
  }

  /** How many frames of `type` went to host `to`. */
  count(type: number, to?: string): number {
    return this.frames.filter((f) => f.frame.type === type && (to === undefined || f.to.address === to)).length;
  }
}

export interface SimClusterOptions {
  seed: number;
  servers: number;
  /** Conditions of every link (both ways). */
  link?: LinkConditions;
  client?: Omit<UdpClientOptions, 'transport' | 'peer' | 'peers' | 'clock' | 'random' | 'url' | 'urls'>;
  /** Extra handler delay per server index, in ms (e.g. one slow server). */
  serverDelayMs?: (index: number) => number;
  /** An error the server of this index throws from every handler (after counting the run). */
  serverError?: (index: number) => Error | undefined;
}

export interface SimCluster {
  readonly clock: VirtualClock;
  readonly net: SimNetwork;
  readonly client: Client;
  readonly tap: ClientTap;
  readonly servers: Server[];
  readonly serverEndpoints: SimTransport[];
  readonly peers: PeerAddress[];
  /** Handler runs per tag, over all servers. */
  readonly runs: Map<number, number>;
  /** Handler runs per server host name. */
  readonly perServer: Map<string, number>;
  close(): Promise<void>;
}

/** Starts `servers` servers (hosts s0, s1, …) and one client (host `client`) with all of them as peers. */
export async function startSimCluster(options: SimClusterOptions): Promise<SimCluster> {
  const clock = new VirtualClock();
  const net = new SimNetwork({ clock, seed: deriveSeed(options.seed, 'net'), ...(options.link ? { defaults: options.link } : {}) });
  const runs = new Map<number, number>();
  const perServer = new Map<string, number>();
  const servers: Server[] = [];
  const serverEndpoints: SimTransport[] = [];
  for (let i = 0; i < options.servers; i++) {
    const host = `s${i}`;
    const endpoint = net.endpoint(host);
    const extra = options.serverDelayMs?.(i) ?? 0;
    const handle = async ({ tag, delayMs }: { tag: number; delayMs: number }, ctx: { signal: AbortSignal }) => {
      runs.set(tag, (runs.get(tag) ?? 0) + 1);
      perServer.set(host, (perServer.get(host) ?? 0) + 1);
      if (delayMs + extra > 0) await sleep(clock, delayMs + extra, ctx.signal);
      const error = options.serverError?.(i);
      if (error !== undefined) throw error;
      return { tag, server: host };
    };
    // The first server ever at its simulated address: no start-up grace (protocol.md §6.3).
    const server = createServer({ startupGraceMs: 0, transport: endpoint, clock });
    server.implement(svc, { get: handle, put: handle });
    await server.listen();
    servers.push(server);
    serverEndpoints.push(endpoint);
  }
  const tap = new ClientTap(net.endpoint('client'));
  const peers = serverEndpoints.map((e) => e.address);
  const client = createClient({ ...options.client, transport: tap, peers, clock, random: createRandom(deriveSeed(options.seed, 'client')) });
  await client.connect();
  return {
    clock,
    net,
    client,
    tap,
    servers,
    serverEndpoints,
    peers,
    runs,
    perServer,
    async close() {
      await client.close();
      await Promise.all(servers.map((s) => s.close()));
    },
  };
}
