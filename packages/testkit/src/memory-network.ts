import { type PeerAddress } from '@udprpc/core';
import { MAX_UDP_PAYLOAD } from '@udprpc/core/wire';
import { checkNumber, checkObject, peerKey } from '@udprpc/core/engine';
import { SimEndpoint, type Fabric, type SimTransport } from './sim-transport.js';

/** Counters of a {@link MemoryNetwork}. */
export interface MemoryNetworkStats {
  /** Datagrams sent. */
  sent: number;
  /** Datagrams delivered. */
  delivered: number;
  /** Larger than `maxDatagramBytes`: dropped. */
  mtuDropped: number;
  /** Arrived at an address nobody listens on. */
  unreachable: number;
  /** Queued and not yet delivered. */
  inFlight: number;
}

/** Options of {@link createMemoryNetwork}. */
export interface MemoryNetworkOptions {
  /** Largest datagram carried (and each endpoint's `maxDatagramBytes`). Default 65,507. */
  maxDatagramBytes?: number;
}

/**
 * A lossless in-memory datagram network for the real event loop — no virtual
 * clock needed. Each datagram is copied at `send` and delivered in order on a
 * later microtask (`queueMicrotask`), never synchronously inside `send`.
 *
 * Use it for same-process clients and servers running on the system clock.
 * Because delivery is a microtask, two endpoints that answer every datagram
 * with another would starve timers and I/O; request/response traffic is fine.
 * For loss, delay and replayable runs, use {@link SimNetwork}.
 */
export class MemoryNetwork {
  private readonly endpoints = new Map<string, SimEndpoint>();
  private readonly maxDatagramBytes: number;
  private count = 0;
  private readonly counters: MemoryNetworkStats = { sent: 0, delivered: 0, mtuDropped: 0, unreachable: 0, inFlight: 0 };
  private readonly fabric: Fabric = { transmit: (from, bytes, to) => this.transmit(from, bytes, to) };

  constructor(options: MemoryNetworkOptions = {}) {
    checkObject(options as unknown, 'options');
    this.maxDatagramBytes = checkNumber(options.maxDatagramBytes ?? MAX_UDP_PAYLOAD, 'options.maxDatagramBytes', { min: 0, integer: true });
  }

  /** Creates an endpoint at `{ family: 'sim', address: name ?? 'mem-N', port: N }`. */
  endpoint(name?: string): SimTransport {
    const n = ++this.count;
    const address: PeerAddress = Object.freeze({ address: name ?? `mem-${n}`, family: 'sim', port: n });
    const endpoint = new SimEndpoint(this.fabric, address, this.maxDatagramBytes);
    this.endpoints.set(peerKey(address), endpoint);
    return endpoint;
  }

  /** A snapshot of the counters. */
  stats(): MemoryNetworkStats {
    return { ...this.counters };
  }

  private transmit(from: SimEndpoint, bytes: Uint8Array, to: PeerAddress): void {
    const c = this.counters;
    c.sent++;
    if (bytes.length > this.maxDatagramBytes) {
      c.mtuDropped++;
      return;
    }
    const copy = bytes.slice();
    const key = peerKey(to);
    c.inFlight++;
    queueMicrotask(() => {
      c.inFlight--;
      const endpoint = this.endpoints.get(key);
      if (endpoint !== undefined && endpoint.receive(copy, from.address)) c.delivered++;
      else c.unreachable++;
    });
  }
}

/**
 * Creates a {@link MemoryNetwork}.
 *
 * @throws TypeError when `options.maxDatagramBytes` is not a number, RangeError when it is not an integer >= 0.
 */
export function createMemoryNetwork(options: MemoryNetworkOptions = {}): MemoryNetwork {
  return new MemoryNetwork(options);
}

/**
 * Two connected endpoints on a fresh {@link MemoryNetwork}: the quickest way
 * to run a client and a server in one process on the real clock.
 *
 * @example
 * const { a, b } = createLoopbackPair();
 * const server = createServer({ transport: a });          // wiring: package 'udprpc'
 * const client = createClient({ transport: b, peer: a.address });
 */
export function createLoopbackPair(options: MemoryNetworkOptions = {}): {
  /** The network both ends are on. */
  network: MemoryNetwork;
  /** One end. */
  a: SimTransport;
  /** The other end. */
  b: SimTransport;
} {
  const network = new MemoryNetwork(options);
  return { network, a: network.endpoint(), b: network.endpoint() };
}
