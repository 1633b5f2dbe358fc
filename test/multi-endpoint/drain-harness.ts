// Servers that drain and restart on the same simulated address, for the
// graceful-drain tests (protocol.md §5.9, docs/multi-endpoint.md "Draining").
// A SimTransport cannot be bound twice, so each address is one SimTransport
// listened once; every server incarnation at that address gets a view of it
// (a `Port`) that receives only while that incarnation is bound. Between two
// incarnations datagrams are dropped, as at a UDP port nobody has bound.
import { decodeFrame, FrameType, splitBatch } from '@udprpc/core/wire';
import type { DatagramHandler, PeerAddress, Transport } from '@udprpc/core';
import { createServer, type Server } from 'udprpc';
import { sleep, type SimTransport, type VirtualClock } from '@udprpc/testkit';
import { svc } from './sim-cluster.js';

/** One address; server incarnations bind and unbind it in turn. */
export class Port {
  private handler: DatagramHandler | undefined;
  private started = false;
  /** Frames sent from this address, by type, over all incarnations (BATCH entries counted one by one). */
  readonly sent = new Map<number, number>();
  /** Destinations of GOAWAY frames sent from this address, `host:port`, in order. */
  readonly goAwaysTo: string[] = [];

  constructor(readonly inner: SimTransport) {}

  get address(): PeerAddress {
    return this.inner.address;
  }

  /** A transport for one incarnation: bound from its `listen` to its `close`. */
  view(): Transport {
    let bound = false;
    return {
      maxDatagramBytes: this.inner.maxDatagramBytes,
      listen: async (onDatagram) => {
        if (this.handler !== undefined) throw new Error(`${this.address.address} is in use`);
        if (!this.started) {
          this.started = true;
          await this.inner.listen((bytes, from, meta) => this.handler?.(bytes, from, meta), () => {});
        }
        this.handler = onDatagram;
        bound = true;
        return this.address;
      },
      send: (bytes, to) => {
        if (!bound) return;
        this.count(bytes, to);
        this.inner.send(bytes, to);
      },
      close: async () => {
        if (bound) this.handler = undefined;
        bound = false;
      },
    };
  }

  private count(bytes: Uint8Array, to: PeerAddress): void {
    const decoded = decodeFrame(bytes);
    if (!decoded.ok) return;
    const frames = decoded.value.type === FrameType.BATCH ? splitBatch(decoded.value.body) : undefined;
    const types =
      frames === undefined ? [decoded.value] : frames.ok ? frames.value.map((f) => decodeFrame(f)).flatMap((f) => (f.ok ? [f.value] : [])) : [];
    for (const frame of types) {
      this.sent.set(frame.type, (this.sent.get(frame.type) ?? 0) + 1);
      if (frame.type === FrameType.GOAWAY) this.goAwaysTo.push(`${to.address}:${to.port}`);
    }
  }
}

/** Handler runs, per tag over every server and per server host. */
export interface RunCounts {
  readonly runs: Map<number, number>;
  readonly perServer: Map<string, number>;
}

/**
 * Starts a server of `svc` on `port` (hosts count their runs in `counts`).
 * `first`: the first server ever at that address (no start-up grace,
 * protocol.md §6.3); a restarted one keeps the default grace, which is what
 * keeps a retransmission meant for its predecessor from running again.
 */
export async function serveOn(port: Port, clock: VirtualClock, counts: RunCounts, first: boolean): Promise<Server> {
  const host = port.address.address;
  const handle = async ({ tag, delayMs }: { tag: number; delayMs: number }, ctx: { signal: AbortSignal }) => {
    counts.runs.set(tag, (counts.runs.get(tag) ?? 0) + 1);
    counts.perServer.set(host, (counts.perServer.get(host) ?? 0) + 1);
    if (delayMs > 0) await sleep(clock, delayMs, ctx.signal);
    return { tag, server: host };
  };
  const server = createServer({ transport: port.view(), clock, ...(first ? { startupGraceMs: 0 } : {}) });
  server.implement(svc, { get: handle, put: handle });
  await server.listen();
  return server;
}
