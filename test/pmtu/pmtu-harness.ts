// Path MTU discovery (protocol.md §7.5) on the simulated network: the REAL
// `udprpc` client and server, with default sizes (no maxDatagramBytes, so
// discovery is on), over SimNetwork links whose MTU the tests choose and
// change. The sim transport knows no per-destination limit, so the taps say
// 65,507 (as the UDP transport does toward loopback).
import { Flag, FrameType, MAX_UDP_PAYLOAD, type Frame } from '@udprpc/core/wire';
import { createClient, createServer, defineContract, method, type Client, type Server } from 'udprpc';
import { SimNetwork, VirtualClock, createRandom, deriveSeed, settleAll, type LinkConditions, type SimTransport } from '@udprpc/testkit';
import { Tap } from '../properties/sim-harness.js';

/** A tap whose transport may send up to 65,507 bytes to anyone without IP fragmentation. */
export class PathTap extends Tap<SimTransport> {
  maxPathDatagramBytes(): number {
    return MAX_UDP_PAYLOAD;
  }
}

export const blobs = defineContract('blobs', {
  /** Returns `data` unchanged; counts its runs per tag. */
  echo: method<{ tag: number; data: Uint8Array }, { tag: number; data: Uint8Array }>(),
});

export interface PmtuRunOptions {
  seed: number;
  /** Both directions (default: 1 ms delay, MTU 65,507). */
  link?: LinkConditions;
  /** Extra client options (e.g. `maxDatagramBytes` to turn discovery off). */
  client?: { maxDatagramBytes?: number; pathMtuDiscovery?: boolean };
}

/** Starts a {@link blobs} server and a client of it; `close()` ends both. */
export async function startPmtuRun(options: PmtuRunOptions) {
  const clock = new VirtualClock();
  const net = new SimNetwork({ clock, seed: deriveSeed(options.seed, 'net'), defaults: { delayMs: 1 } });
  const serverEp = net.endpoint('server');
  const clientEp = net.endpoint('client');
  const link: LinkConditions = { delayMs: 1, ...options.link };
  net.setLinkBoth(clientEp, serverEp, link);
  const serverTap = new PathTap(serverEp);
  const clientTap = new PathTap(clientEp);
  const runs = new Map<number, number>();
  const server: Server = createServer({ startupGraceMs: 0, transport: serverTap, clock, random: createRandom(deriveSeed(options.seed, 'server')) });
  server.implement(blobs, {
    echo: ({ tag, data }) => {
      runs.set(tag, (runs.get(tag) ?? 0) + 1);
      return { tag, data };
    },
  });
  const address = await server.listen();
  const client: Client = createClient({ transport: clientTap, peer: address, clock, random: createRandom(deriveSeed(options.seed, 'client')), ...options.client });
  await client.connect();
  const stub = client.stub(blobs);
  /** One echo of `data`, run to completion on the virtual clock; rejects with its error. */
  const echo = async (tag: number, data: Uint8Array, timeoutMs = 10_000): Promise<Uint8Array> => {
    const [r] = await settleAll(clock, [stub.echo({ tag, data }, { timeoutMs })], { maxTimeMs: 2 * timeoutMs });
    if (r!.status === 'rejected') throw r.reason;
    return r!.value.data;
  };
  const close = async (): Promise<void> => {
    await client.close();
    await server.close();
  };
  /** Changes the MTU of both directions (a route change: a black hole for larger datagrams). */
  const setMtu = (mtu: number): void => net.setLinkBoth(clientEp, serverEp, { ...link, mtu });
  return { clock, net, serverTap, clientTap, server, client, stub, echo, runs, close, setMtu, serverEp, clientEp };
}

export type PmtuRun = Awaited<ReturnType<typeof startPmtuRun>>;

export const isProbe = (f: Frame): boolean => f.type === FrameType.PING && (f.flags & Flag.PMTU_PROBE) !== 0;
export const isProbeReply = (f: Frame): boolean => f.type === FrameType.PONG && (f.flags & Flag.PMTU_PROBE) !== 0;

/** The sizes of the probe PINGs a tap sent, in order (a report is 18 bytes). */
export function probeSizes(tap: Tap<SimTransport>): number[] {
  const out: number[] = [];
  tap.sent.forEach((f, i) => {
    if (isProbe(f)) out.push(tap.sentBytes[i]!.length);
  });
  return out;
}

/** The confirmed-size field of each probe PING a tap sent. */
export function probeConfirmed(tap: Tap<SimTransport>): number[] {
  return tap.sent.filter(isProbe).map((f) => new DataView(f.body.buffer, f.body.byteOffset).getUint32(0));
}

/** Distinct datagram sizes of the fragments of `type` a tap sent from index `from` of its log on. */
export function fragmentSizes(tap: Tap<SimTransport>, type: number, from = 0): number[] {
  const sizes = new Set<number>();
  for (let i = from; i < tap.sent.length; i++) {
    const f = tap.sent[i]!;
    if (f.type === type && f.fragment !== undefined && f.fragment.index < Math.floor(f.fragment.totalBytes / f.fragment.fragmentBytes)) sizes.add(tap.sentBytes[i]!.length);
  }
  return [...sizes].sort((a, b) => a - b);
}
