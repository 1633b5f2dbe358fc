import { lookup as dnsLookup } from 'node:dns/promises';
import { RpcError, type Clock, type PeerAddress, type TimerHandle } from '@udprpc/core';
import type { Endpoint } from './url.js';

/** One address of a host name, as `dns.lookup(host, { all: true })` gives it. */
export interface LookupAddress {
  /** An IP literal. */
  readonly address: string;
  /** 4 or 6. */
  readonly family: number;
}

/** Resolves a host name to ALL its addresses (A and AAAA records). */
export type LookupAll = (host: string) => Promise<readonly LookupAddress[]>;

/** The system resolver: `dns.lookup(host, { all: true })` (getaddrinfo: /etc/hosts, then DNS). */
export const systemLookup: LookupAll = (host) => dnsLookup(host, { all: true });

/** Default period of re-resolution, in ms: 30 s, a common DNS TTL for service discovery. */
export const DEFAULT_RESOLVE_INTERVAL_MS = 30_000;

/** Options of an {@link EndpointResolver}. */
export interface EndpointResolverOptions {
  /** The `udp://` endpoints to resolve. */
  readonly endpoints: readonly Endpoint[];
  /** The DNS lookup to use. */
  readonly lookup: LookupAll;
  /** Timers come from here (the system clock's timers are unref'd). */
  readonly clock: Clock;
  /** Re-resolve host names this often; 0 or Infinity resolves once. */
  readonly intervalMs: number;
  /** A re-resolution produced this list (the same list as before is not reported). */
  onChange(peers: PeerAddress[]): void | Promise<void>;
  /** A lookup failed or came back empty; the host keeps its previous addresses. */
  onError(error: RpcError): void;
}

/**
 * Turns `udp://` endpoints into peer addresses and keeps them current: IP
 * literals pass through, host names resolve to every A/AAAA record, and are
 * resolved again every `intervalMs` (one timer, armed again only after the
 * previous round ended, so lookups never pile up). A DNS-based registry such
 * as a Kubernetes headless service works this way: pods that leave the
 * answer leave the client's endpoint list.
 *
 * A failed or empty lookup keeps the host's previous addresses: DNS hiccups
 * must not empty a working client.
 */
export class EndpointResolver {
  private readonly known = new Map<string, PeerAddress[]>();
  private last = '';
  private timer: TimerHandle | undefined;
  private stopped = false;
  private periodic = false;

  constructor(private readonly options: EndpointResolverOptions) {}

  /** Whether any endpoint is a host name (otherwise there is nothing to re-resolve). */
  get dynamic(): boolean {
    return this.options.endpoints.some((e) => e.ipVersion === 0);
  }

  /**
   * One round of resolution: every endpoint's addresses, in `urls` order,
   * without duplicates. Rejects with UNAVAILABLE when the result is empty.
   */
  async resolve(): Promise<PeerAddress[]> {
    const lists = await Promise.all(this.options.endpoints.map((e) => this.resolveOne(e)));
    const seen = new Set<string>();
    const peers: PeerAddress[] = [];
    for (const p of lists.flat()) {
      const key = `${p.address}|${p.port}`;
      if (seen.has(key)) continue;
      seen.add(key);
      peers.push(p);
    }
    if (peers.length === 0) throw new RpcError('UNAVAILABLE', `no address for ${this.options.endpoints.map((e) => e.host).join(', ')}`);
    return peers;
  }

  /**
   * Starts periodic re-resolution from `current`, the list the client has now
   * (once; no-op for literal-only lists or after `stop`).
   */
  start(current: readonly PeerAddress[]): void {
    if (this.periodic || this.stopped || !this.dynamic) return;
    this.last = fingerprint(current);
    const interval = this.options.intervalMs;
    if (!(interval > 0 && interval < Infinity)) return;
    this.periodic = true;
    this.arm();
  }

  /** Stops re-resolution for good. */
  stop(): void {
    this.stopped = true;
    this.timer?.cancel();
    this.timer = undefined;
  }

  private arm(): void {
    if (this.stopped) return;
    this.timer = this.options.clock.setTimer(this.options.intervalMs, () => {
      this.timer = undefined;
      void this.tick();
    });
  }

  private async tick(): Promise<void> {
    try {
      const peers = await this.resolve().catch(() => undefined);
      if (peers === undefined || this.stopped) return;
      const print = fingerprint(peers);
      if (print === this.last) return;
      this.last = print;
      await this.options.onChange(peers);
    } catch (error) {
      this.options.onError(RpcError.from(error, 'UNAVAILABLE'));
    } finally {
      this.arm();
    }
  }

  private async resolveOne(endpoint: Endpoint): Promise<PeerAddress[]> {
    if (endpoint.ipVersion !== 0) {
      return [{ address: endpoint.host, family: endpoint.ipVersion === 6 ? 'IPv6' : 'IPv4', port: endpoint.port }];
    }
    const key = `${endpoint.host}|${endpoint.port}`;
    try {
      const records = await this.options.lookup(endpoint.host);
      const peers = records.map((r): PeerAddress => ({ address: r.address, family: r.family === 6 ? 'IPv6' : 'IPv4', port: endpoint.port }));
      if (peers.length === 0) throw new Error('no A/AAAA records');
      this.known.set(key, peers);
      return peers;
    } catch (error) {
      this.options.onError(new RpcError('UNAVAILABLE', `could not resolve ${endpoint.host}`, { cause: error }));
      return this.known.get(key) ?? [];
    }
  }
}

function fingerprint(peers: readonly PeerAddress[]): string {
  return peers.map((p) => `${p.family} ${p.address} ${p.port}`).join(',');
}
