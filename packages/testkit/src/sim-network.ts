import { type Clock, type PeerAddress } from '@udprpc/core';
import { MAX_UDP_PAYLOAD } from '@udprpc/core/wire';
import { checkClock, checkObject, checkOptionalFunction, checkOptionalObject, peerKey } from '@udprpc/core/engine';
import { resolveLink, type LinkConditions, type ResolvedLink } from './link-conditions.js';
import { createRandom } from './random.js';
import { SimEndpoint, type Fabric, type SimTransport } from './sim-transport.js';

/** Names a host of a {@link SimNetwork}: its name, an endpoint, or an address on it. */
export type SimHostRef = string | SimTransport | PeerAddress;

/** Why the simulated network dropped a datagram. */
export type SimDropReason = 'loss' | 'mtu' | 'partition' | 'unreachable';

/** What the network did, for tracing a failing run. */
export type SimNetworkEvent =
  | {
      /** A datagram arrived. */
      readonly type: 'deliver';
      /** Virtual time of the event. */
      readonly atMs: number;
      /** Sender. */
      readonly from: PeerAddress;
      /** Receiver. */
      readonly to: PeerAddress;
      /** What arrived. */
      readonly bytes: Uint8Array;
      /** Whether the network flipped bits in it. */
      readonly corrupted: boolean;
    }
  | {
      /** A datagram was dropped. */
      readonly type: 'drop';
      /** Virtual time of the event. */
      readonly atMs: number;
      /** Sender. */
      readonly from: PeerAddress;
      /** Intended receiver. */
      readonly to: PeerAddress;
      /** Its size in bytes. */
      readonly size: number;
      /** Why it was dropped. */
      readonly reason: SimDropReason;
    };

/**
 * Counters of a {@link SimNetwork}. Every copy is accounted for:
 * `sent + duplicated = delivered + lost + mtuDropped + partitioned + unreachable + inFlight`.
 */
export interface SimNetworkStats {
  /** Datagrams handed to `send` (by open endpoints). */
  sent: number;
  /** Copies handed to a listening endpoint. */
  delivered: number;
  /** Datagrams lost (loss probability or partition). */
  lost: number;
  /** Extra copies created. */
  duplicated: number;
  /** Copies that got one bit flipped. */
  corrupted: number;
  /** Copies held back by the reorder delay. */
  reordered: number;
  /** Datagrams dropped for exceeding the link MTU. */
  mtuDropped: number;
  /** Dropped by a partition, when sent or when they would have arrived. */
  partitioned: number;
  /** Arrived at an address nobody listens on (unknown, not yet listening, or closed). */
  unreachable: number;
  /** Scheduled and not yet arrived. */
  inFlight: number;
}

/** Options of a {@link SimNetwork}. */
export interface SimNetworkOptions {
  /** Delivery timers go here: a VirtualClock in tests (any Clock works). */
  clock: Clock;
  /** Seeds every random decision; the same seed and sends give the same run. */
  seed: number;
  /** Conditions of every link not set otherwise. Default: perfect, no delay. */
  defaults?: LinkConditions;
  /** Called for every delivery and drop, e.g. to log a failing run. */
  onEvent?: (event: SimNetworkEvent) => void;
}

/** A partition that can be healed on its own. */
export interface Partition {
  /** Ends the partition. */
  heal(): void;
}

interface ActivePartition {
  readonly a: ReadonlySet<string>;
  readonly b: ReadonlySet<string>;
}

const SEP = '\u0000';

/**
 * A seeded, simulated datagram network on an injected clock. Endpoints live
 * on named hosts; conditions (loss, duplication, delay, reordering,
 * corruption, MTU) are set per direction between hosts; partitions cut groups
 * of hosts apart. Every datagram is copied at `send` and delivered by a clock
 * timer, so on a {@link VirtualClock} a run is exactly repeatable: the same
 * seed and the same sequence of sends give the same deliveries, bit for bit.
 *
 * @example
 * const clock = new VirtualClock();
 * const net = new SimNetwork({ clock, seed: 42, defaults: { delayMs: { min: 1, max: 5 }, loss: 0.1 } });
 * const server = net.endpoint('server');
 * const client = net.endpoint('client');
 * net.setLink(client, server, { loss: 0.5 }); // client → server only
 */
export class SimNetwork {
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly onEvent: ((event: SimNetworkEvent) => void) | undefined;
  private defaultConditions: LinkConditions;
  private defaultLink: ResolvedLink;
  private readonly linkConditions = new Map<string, LinkConditions>();
  private readonly links = new Map<string, ResolvedLink>();
  private readonly endpoints = new Map<string, SimEndpoint>();
  private readonly ports = new Map<string, number>();
  private readonly partitions = new Set<ActivePartition>();
  private hostCount = 0;
  private readonly counters: SimNetworkStats = {
    sent: 0,
    delivered: 0,
    lost: 0,
    duplicated: 0,
    corrupted: 0,
    reordered: 0,
    mtuDropped: 0,
    partitioned: 0,
    unreachable: 0,
    inFlight: 0,
  };
  private readonly fabric: Fabric = { transmit: (from, bytes, to) => this.transmit(from, bytes, to) };

  /**
   * @throws TypeError for an option of the wrong type or shape (no `clock`,
   * a seed that is not a number, a non-function `onEvent`, a condition that
   * is not a number), RangeError for one out of range (a fractional seed, a
   * loss above 1, a negative delay, …); the message names the option.
   */
  constructor(options: SimNetworkOptions) {
    checkObject(options as unknown, 'options');
    checkClock(options.clock, 'options.clock');
    checkOptionalFunction(options.onEvent, 'options.onEvent');
    this.clock = options.clock;
    this.random = createRandom(options.seed);
    this.onEvent = options.onEvent;
    this.defaultConditions = { ...checkOptionalObject(options.defaults, 'options.defaults') };
    this.defaultLink = resolveLink(this.defaultConditions, 'options.defaults');
  }

  /**
   * Creates an endpoint on host `name` (default: a fresh host `sim-N`). Each
   * endpoint of a host gets the next port, from 1. Its `maxDatagramBytes` is
   * the default MTU.
   */
  endpoint(name?: string): SimTransport {
    let host = name;
    if (host === undefined) {
      do host = `sim-${++this.hostCount}`;
      while (this.ports.has(host));
    }
    const port = (this.ports.get(host) ?? 0) + 1;
    this.ports.set(host, port);
    const address: PeerAddress = Object.freeze({ address: host, family: 'sim', port });
    const endpoint = new SimEndpoint(this.fabric, address, Math.min(this.defaultLink.mtu, MAX_UDP_PAYLOAD));
    this.endpoints.set(peerKey(address), endpoint);
    return endpoint;
  }

  /** Replaces the default conditions (links set with `setLink` are re-based on them). */
  setDefaults(conditions: LinkConditions): void {
    const resolved = resolveLink(conditions, 'defaults');
    this.defaultConditions = { ...conditions };
    this.defaultLink = resolved;
    for (const [key, own] of this.linkConditions) this.links.set(key, resolveLink({ ...conditions, ...own }, 'link'));
  }

  /**
   * Sets the conditions of the direction `from → to` only; fields not given
   * fall back to the network defaults. Throws RangeError on invalid values.
   */
  setLink(from: SimHostRef, to: SimHostRef, conditions: LinkConditions): void {
    const key = hostOf(from) + SEP + hostOf(to);
    const resolved = resolveLink({ ...this.defaultConditions, ...conditions }, `link ${hostOf(from)} -> ${hostOf(to)}`);
    this.linkConditions.set(key, { ...conditions });
    this.links.set(key, resolved);
  }

  /** Sets the same conditions on both directions between `a` and `b`. */
  setLinkBoth(a: SimHostRef, b: SimHostRef, conditions: LinkConditions): void {
    this.setLink(a, b, conditions);
    this.setLink(b, a, conditions);
  }

  /** Returns the direction `from → to` to the defaults. */
  clearLink(from: SimHostRef, to: SimHostRef): void {
    const key = hostOf(from) + SEP + hostOf(to);
    this.linkConditions.delete(key);
    this.links.delete(key);
  }

  /**
   * Cuts every host of `groupA` off from every host of `groupB`, both ways,
   * until healed: datagrams between them are dropped when sent and, if sent
   * before the cut, when they would have arrived. Hosts in neither group are
   * unaffected.
   */
  partition(groupA: readonly SimHostRef[], groupB: readonly SimHostRef[]): Partition {
    const a = new Set(groupA.map(hostOf));
    const b = new Set(groupB.map(hostOf));
    for (const host of a) if (b.has(host)) throw new RangeError(`host ${host} is on both sides of the partition`);
    const active: ActivePartition = { a, b };
    this.partitions.add(active);
    return { heal: () => void this.partitions.delete(active) };
  }

  /** Heals every partition. */
  heal(): void {
    this.partitions.clear();
  }

  /** A snapshot of the counters. */
  stats(): SimNetworkStats {
    return { ...this.counters };
  }

  private transmit(from: SimEndpoint, bytes: Uint8Array, to: PeerAddress): void {
    const c = this.counters;
    c.sent++;
    const fromHost = from.address.address;
    const toHost = to.address;
    const link = this.links.get(fromHost + SEP + toHost) ?? this.defaultLink;
    if (bytes.length > link.mtu) return this.drop('mtu', from.address, to, bytes.length);
    if (this.isPartitioned(fromHost, toHost)) return this.drop('partition', from.address, to, bytes.length);
    const random = this.random;
    if (link.loss > 0 && random() < link.loss) return this.drop('loss', from.address, to, bytes.length);
    let copies = 1;
    if (link.duplicate > 0 && random() < link.duplicate) {
      copies = 2;
      c.duplicated++;
    }
    const toKey = peerKey(to);
    for (let i = 0; i < copies; i++) {
      const copy = bytes.slice();
      let corrupted = false;
      if (link.corrupt > 0 && copy.length > 0 && random() < link.corrupt) {
        const bit = Math.floor(random() * copy.length * 8);
        copy[bit >> 3]! ^= 1 << (bit & 7);
        corrupted = true;
        c.corrupted++;
      }
      let delayMs = link.sampleDelay(random);
      if (link.reorder > 0 && random() < link.reorder) {
        delayMs += (1 - random()) * link.reorderDelayMs;
        c.reordered++;
      }
      c.inFlight++;
      this.clock.setTimer(delayMs, () => this.arrive(copy, corrupted, from.address, to, toKey));
    }
  }

  private arrive(bytes: Uint8Array, corrupted: boolean, from: PeerAddress, to: PeerAddress, toKey: string): void {
    this.counters.inFlight--;
    if (this.isPartitioned(from.address, to.address)) return this.drop('partition', from, to, bytes.length);
    const endpoint = this.endpoints.get(toKey);
    if (endpoint === undefined || !endpoint.listening) return this.drop('unreachable', from, to, bytes.length);
    this.counters.delivered++;
    this.onEvent?.({ type: 'deliver', atMs: this.clock.now(), from, to: endpoint.address, bytes, corrupted });
    endpoint.receive(bytes, from);
  }

  private isPartitioned(x: string, y: string): boolean {
    for (const p of this.partitions) {
      if ((p.a.has(x) && p.b.has(y)) || (p.b.has(x) && p.a.has(y))) return true;
    }
    return false;
  }

  private drop(reason: SimDropReason, from: PeerAddress, to: PeerAddress, size: number): void {
    const c = this.counters;
    if (reason === 'loss') c.lost++;
    else if (reason === 'mtu') c.mtuDropped++;
    else if (reason === 'partition') c.partitioned++;
    else c.unreachable++;
    this.onEvent?.({ type: 'drop', atMs: this.clock.now(), from, to, size, reason });
  }
}

function hostOf(ref: SimHostRef): string {
  if (typeof ref === 'string') return ref;
  return typeof ref.address === 'string' ? ref.address : ref.address.address;
}
