// Shared set-up for the hardening tests (issue 6): the REAL `udprpc` server
// and clients on a seeded SimNetwork driven by a VirtualClock. The server's
// endpoint is wrapped in a Meter that counts bytes per peer in both
// directions, decodes every frame, and can hold back chosen incoming
// datagrams (to replay them later, as a slow network path would).
import { afterEach } from 'vitest';
import { encodeFrame, encodeRequestFrame, encodeMethodName, type Frame, type FrameHeader } from '@udprpc/core/wire';
import {
  createClient,
  createServer,
  defineContract,
  method,
  msgpackCodec,
  type Client,
  type DropReason,
  type PeerAddress,
  type Server,
  type Stub,
  type UdpClientOptions,
  type UdpServerOptions,
} from 'udprpc';
import { SimNetwork, VirtualClock, createRandom, deriveSeed, type SimNetworkEvent, type SimTransport, sleep } from '@udprpc/testkit';
import { Meter, framesOf } from './meter.js';

export { Meter, framesOf, type PeerTraffic } from './meter.js';

/** The service under test. Only `add` is cheap; nothing is idempotent. */
export const hard = defineContract('hard', {
  add: method<{ a: number; b: number }, number>(),
  /** Waits `ms` of virtual time (or until aborted), then returns `tag`. */
  slow: method<{ tag: number; ms: number }, number>(),
  /** A small request with a reply of `bytes` bytes. */
  big: method<{ tag: number; bytes: number }, Uint8Array>(),
  /** Returns the length of `data` (large requests). */
  upload: method<{ tag: number; data: Uint8Array }, number>(),
});

/** What the handlers did. */
export class Probe {
  /** Handler runs per tag. */
  readonly runs = new Map<number, number>();
  running = 0;
  maxRunning = 0;
  /** Handlers of `slow` aborted by their signal. */
  aborted = 0;

  begin(tag: number): void {
    this.runs.set(tag, (this.runs.get(tag) ?? 0) + 1);
    this.running++;
    if (this.running > this.maxRunning) this.maxRunning = this.running;
  }

  end(): void {
    this.running--;
  }

  of(tag: number): number {
    return this.runs.get(tag) ?? 0;
  }
}

/** A sim endpoint driven by hand: send raw frames, see what comes back. */
export interface RawPeer {
  readonly ep: SimTransport;
  readonly address: PeerAddress;
  /** Frames received (batches unpacked). */
  readonly received: Frame[];
  bytesSent: number;
  bytesReceived: number;
  send(bytes: Uint8Array): void;
}

type ServerExtras = Omit<UdpServerOptions, 'transport' | 'clock' | 'host' | 'port'>;
type ClientExtras = Omit<UdpClientOptions, 'transport' | 'peer' | 'clock' | 'url'>;

export interface SimOptions {
  seed?: number;
  server?: ServerExtras;
  onEvent?: (event: SimNetworkEvent) => void;
}

/** Starts a server of {@link hard} on a fresh simulated network (1 ms links); all closed after the test. */
export function useHardSim(): (options?: SimOptions) => Promise<HardSim> {
  const closers: (() => Promise<void>)[] = [];
  afterEach(async () => {
    await Promise.all(closers.splice(0).map((close) => close()));
  });
  return async (options = {}) => {
    const seed = options.seed ?? 1;
    const clock = new VirtualClock();
    const net = new SimNetwork({ clock, seed: deriveSeed(seed, 'net'), defaults: { delayMs: 1 }, ...(options.onEvent ? { onEvent: options.onEvent } : {}) });
    const meter = new Meter(net.endpoint('server'));
    const probe = new Probe();
    // The first server ever at its simulated address: no start-up grace (protocol.md §6.3).
    const server = createServer({ startupGraceMs: 0, ...options.server, transport: meter, clock });
    const errors: Error[] = [];
    const drops: { reason: DropReason; from: PeerAddress }[] = [];
    server.on('error', (e) => errors.push(e));
    server.on('drop', (reason, from) => drops.push({ reason, from }));
    server.implement(hard, {
      add: ({ a, b }) => a + b,
      slow: async ({ tag, ms }, ctx) => {
        probe.begin(tag);
        try {
          await sleep(clock, ms, ctx.signal);
          return tag;
        } catch (e) {
          probe.aborted++;
          throw e;
        } finally {
          probe.end();
        }
      },
      big: ({ tag, bytes }) => {
        probe.begin(tag);
        probe.end();
        return new Uint8Array(bytes).fill(tag & 0xff);
      },
      upload: ({ tag, data }) => {
        probe.begin(tag);
        probe.end();
        return data.length;
      },
    });
    closers.push(() => server.close());
    const address = await server.listen();
    let clientCount = 0;
    const sim: HardSim = {
      clock,
      net,
      meter,
      probe,
      server,
      address,
      errors,
      drops,
      async client(extras = {}) {
        const n = ++clientCount;
        const ep = net.endpoint(`client-${n}`);
        const client = createClient({ ...extras, transport: ep, peer: address, clock, random: createRandom(deriveSeed(seed, `client-${n}`)) });
        closers.push(() => client.close());
        await client.connect();
        return { client, stub: client.stub(hard), ep };
      },
      async raw(name) {
        const ep = net.endpoint(name);
        const peer: RawPeer = {
          ep,
          address: ep.address,
          received: [],
          bytesSent: 0,
          bytesReceived: 0,
          send(bytes) {
            peer.bytesSent += bytes.length;
            ep.send(bytes, address);
          },
        };
        await ep.listen((bytes) => {
          peer.bytesReceived += bytes.length;
          peer.received.push(...framesOf(bytes));
        }, () => {});
        closers.push(() => ep.close());
        return peer;
      },
    };
    return sim;
  };
}

export interface HardSim {
  readonly clock: VirtualClock;
  readonly net: SimNetwork;
  readonly meter: Meter;
  readonly probe: Probe;
  readonly server: Server;
  readonly address: PeerAddress;
  readonly errors: Error[];
  readonly drops: { reason: DropReason; from: PeerAddress }[];
  client(extras?: ClientExtras): Promise<{ client: Client; stub: Stub<typeof hard>; ep: SimTransport }>;
  /** A listening endpoint on host `name` (a fresh one if omitted). */
  raw(name?: string): Promise<RawPeer>;
}

const MSG = new Map<string, Uint8Array>();

/** A REQUEST frame for `hard.<name>` with a msgpack payload. */
export function requestFrame(h: Partial<FrameHeader> & { id: number }, name: string, input: unknown, deadlineMs = 5000): Uint8Array {
  let wire = MSG.get(name);
  if (wire === undefined) MSG.set(name, (wire = encodeMethodName(`hard.${name}`)));
  const header: FrameHeader = { type: 1, flags: 0, attempt: 0, session: 0xabcdef, ...h };
  return encodeRequestFrame(header, deadlineMs, wire, msgpackCodec.encode(input), 0xffffffff, 0, msgpackCodec.id);
}

/** A frame with an empty (or given) body. */
export function bareFrame(type: number, h: Partial<FrameHeader> & { id: number }, body: Uint8Array = new Uint8Array(0)): Uint8Array {
  return encodeFrame({ type: type as FrameHeader['type'], flags: 0, attempt: 0, session: 0xabcdef, ...h }, body);
}
