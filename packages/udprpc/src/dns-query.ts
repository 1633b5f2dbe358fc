import { isIP } from 'node:net';
import { decode, encode, RECURSION_DESIRED, type DecodedPacket } from 'dns-packet';
import { RpcError, type Clock, type PeerAddress, type Transport } from '@udprpc/core';
import { checkNumber } from '@udprpc/core/engine';
import { createUdpTransport } from '@udprpc/transport-udp';
import { checkString } from './options-check.js';

/**
 * Why a DNS lookup failed, in `error.details.dns` of the UNAVAILABLE
 * RpcError it ends with:
 * `timeout` (no usable answer from any server after every attempt),
 * `nxdomain` (the name does not exist), `servfail` / `refused` / `rcode`
 * (the server would not answer; `rcode` for any other response code),
 * `truncated` (the answer did not fit in a UDP response; no TCP fallback),
 * `no-records` (the name exists but has no record of the type asked, or its
 * one SRV record has target `.`: "service not available", RFC 2782),
 * `no-addresses` (no SRV target has an A/AAAA record),
 * `socket` (the query socket could not be opened).
 */
export type DnsFailure = 'timeout' | 'nxdomain' | 'servfail' | 'refused' | 'rcode' | 'truncated' | 'no-records' | 'no-addresses' | 'socket';

/** Datagrams received on a DNS query socket and dropped, by reason. */
export interface DnsDropCounts {
  /** Larger than the 4096 bytes we advertise (EDNS0), dropped before decoding. */
  oversized: number;
  /** Not a DNS message: too short, counts that cannot fit, or a decode error. */
  malformed: number;
  /** A DNS message, but not the response to our question (ID, QR bit, question or source address differ). */
  mismatched: number;
}

/** Counters of DNS discovery, from {@link srvDiscoveryStats}. */
export interface DnsStats {
  /** Query datagrams sent (each attempt counts). */
  queries: number;
  /** Attempts that got no usable response in time. */
  timeouts: number;
  /** Received datagrams dropped. */
  drops: DnsDropCounts;
  /** SRV rounds that ended with a new endpoint set (changed or not). */
  resolutions: number;
  /** SRV rounds that failed; the last good set was kept. */
  failures: number;
}

/** A zeroed {@link DnsStats}. */
export function zeroDnsStats(): DnsStats {
  return { queries: 0, timeouts: 0, drops: { oversized: 0, malformed: 0, mismatched: 0 }, resolutions: 0, failures: 0 };
}

/** Opens a datagram transport to reach a DNS server of the given family (default: a fresh UDP socket on an OS-chosen port). */
export type DnsSocketFactory = (family: 'IPv4' | 'IPv6') => Transport;

/** What a {@link DnsQuerier} needs. */
export interface DnsQuerierOptions {
  /** Servers, tried in turn: attempt i goes to `servers[i % servers.length]`. */
  readonly servers: readonly PeerAddress[];
  /** Time and timers (the system clock's timers are unref'd). */
  readonly clock: Clock;
  /** Uniform [0,1) source for query IDs. */
  readonly random: () => number;
  /** Wait for a response this long per attempt, in ms. */
  readonly timeoutMs: number;
  /** Attempts per question, over the servers in turn. */
  readonly attempts: number;
  /** Counters to update. */
  readonly stats: DnsStats;
  /** Where query sockets come from (tests may inject another transport). */
  readonly socket?: DnsSocketFactory;
}

/** The UDP payload size we advertise in EDNS0 (RFC 6891) and the largest response we decode. */
export const DNS_MAX_RESPONSE_BYTES = 4096;

/** Question types this client asks. */
export type DnsQuestionType = 'SRV' | 'A' | 'AAAA';

/** A resource record of the types the discovery reads (others are skipped). */
export type DnsRecord =
  | {
      readonly type: 'SRV';
      readonly name: string;
      /** Seconds. */
      readonly ttl: number;
      readonly data: { readonly priority: number; readonly weight: number; readonly port: number; readonly target: string };
    }
  | {
      readonly type: 'A' | 'AAAA';
      readonly name: string;
      /** Seconds. */
      readonly ttl: number;
      /** The IP literal. */
      readonly data: string;
    };

/**
 * The parts of a DNS response the discovery uses. Its own type rather than
 * dns-packet's, so that no declaration this package publishes needs that
 * library's types.
 */
export interface DnsResponse {
  /** SRV, A and AAAA records of the answer section. */
  readonly answers: readonly DnsRecord[];
  /** SRV, A and AAAA records of the additional section. */
  readonly additionals: readonly DnsRecord[];
}

/** Builds the UNAVAILABLE error of a failed lookup. */
export function dnsError(reason: DnsFailure, message: string, cause?: unknown): RpcError {
  return new RpcError('UNAVAILABLE', message, { details: { dns: reason }, ...(cause === undefined ? {} : { cause }) });
}

/**
 * Parses a DNS server as the `dns.servers` option gives it: `'10.0.0.2'`,
 * `'10.0.0.2:5353'`, `'::1'`, `'[::1]:5353'` (port 53 by default). Host
 * names are refused: resolving the resolver would need a resolver.
 *
 * @throws TypeError for text that is not an IP address with an optional
 * port, RangeError for a port out of 1 to 65535.
 */
export function parseDnsServer(text: string): PeerAddress {
  checkString(text, 'dns.servers[]');
  let host = text;
  let port = 53;
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  const withPort = /^([^:]+):(\d+)$/.exec(text);
  if (bracketed !== null) {
    host = bracketed[1]!;
    if (bracketed[2] !== undefined) port = Number(bracketed[2]);
  } else if (withPort !== null) {
    host = withPort[1]!;
    port = Number(withPort[2]);
  }
  const version = isIP(host);
  if (version === 0) throw new TypeError(`dns.servers: ${JSON.stringify(text)} is not an IP address (with an optional :port)`);
  if (!(Number.isInteger(port) && port >= 1 && port <= 65535)) throw new RangeError(`dns.servers: port out of range in ${text}: expected 1 to 65535`);
  return { address: host, family: version === 6 ? 'IPv6' : 'IPv4', port };
}

const defaultSocket: DnsSocketFactory = (family) =>
  createUdpTransport(family === 'IPv6' ? { host: '::', type: 'udp6', ipv6Only: true } : { host: '0.0.0.0', type: 'udp4' });

/**
 * Asks one question over UDP and returns the matching response. Each attempt
 * uses a fresh socket (a new random source port) and a random ID; a datagram
 * counts as the response only if it comes from the server asked, decodes,
 * is a response, and carries our ID and our question (RFC 5452's checks
 * against spoofed answers). Anything else is dropped, counted, and the
 * attempt keeps waiting until its timeout; then the next server is asked.
 *
 * NXDOMAIN ends the lookup at once (the name does not exist, another server
 * will say the same). SERVFAIL and REFUSED move on to the next attempt. A
 * response with the TC bit fails with `truncated`: the answer did not fit in
 * 4096 bytes, and there is no TCP fallback. A partial answer is not used
 * (RFC 2181 §9).
 */
export class DnsQuerier {
  constructor(private readonly options: DnsQuerierOptions) {
    if (options.servers.length === 0) throw new RangeError('dns.servers is empty');
    checkNumber(options.timeoutMs, 'dns.timeoutMs', { above: 0 });
    checkNumber(options.attempts, 'dns.attempts', { min: 1, integer: true });
  }

  /**
   * Resolves with the response's records (rcode NOERROR), or rejects with an
   * UNAVAILABLE RpcError whose `details.dns` is a {@link DnsFailure}.
   * `ref`: whether the socket keeps the process alive meanwhile.
   */
  async query(name: string, type: DnsQuestionType, ref: boolean): Promise<DnsResponse> {
    const { servers, attempts } = this.options;
    let last: RpcError = dnsError('timeout', `DNS ${type} ${name}: no answer`);
    for (let i = 0; i < attempts; i++) {
      const server = servers[i % servers.length]!;
      const outcome = await this.attempt(name, type, server, ref);
      if (outcome === 'timeout') {
        this.options.stats.timeouts++;
        last = dnsError('timeout', `DNS ${type} ${name}: no answer from ${attempts} attempt(s), last to ${server.address}:${server.port}`);
        continue;
      }
      if (RpcError.is(outcome)) {
        last = outcome;
        const reason = (outcome.details as { dns?: DnsFailure }).dns;
        if (reason === 'servfail' || reason === 'refused' || reason === 'socket') continue;
        throw outcome;
      }
      return { answers: recordsOf(outcome.answers), additionals: recordsOf(outcome.additionals) };
    }
    throw last;
  }

  private async attempt(name: string, type: DnsQuestionType, server: PeerAddress, ref: boolean): Promise<DecodedPacket | RpcError | 'timeout'> {
    const id = Math.floor(this.options.random() * 0x10000) & 0xffff;
    const query = encode({
      type: 'query',
      id,
      flags: RECURSION_DESIRED,
      questions: [{ type, name, class: 'IN' }],
      additionals: [{ type: 'OPT', name: '.', udpPayloadSize: DNS_MAX_RESPONSE_BYTES, extendedRcode: 0, ednsVersion: 0, flags: 0, flag_do: false, options: [] }],
    });
    const socket = (this.options.socket ?? defaultSocket)(server.family === 'IPv6' ? 'IPv6' : 'IPv4');
    let timer: { cancel(): void } | undefined;
    try {
      return await new Promise<DecodedPacket | RpcError | 'timeout'>((resolve) => {
        const onDatagram = (bytes: Uint8Array, from: PeerAddress): void => {
          const packet = this.match(bytes, from, server, id, name, type);
          if (packet !== undefined) resolve(outcomeOf(packet, name, type));
        };
        socket.listen(onDatagram, () => {}).then(
          () => {
            socket.setRef?.(ref);
            this.options.stats.queries++;
            socket.send(query, server);
            timer = this.options.clock.setTimer(this.options.timeoutMs, () => resolve('timeout'));
          },
          (error: unknown) => resolve(dnsError('socket', `DNS: could not open a socket for ${server.family}`, error)),
        );
      });
    } finally {
      timer?.cancel();
      await socket.close().catch(() => {});
    }
  }

  /** The decoded response if `bytes` answers our question; otherwise counts the drop and returns undefined. */
  private match(bytes: Uint8Array, from: PeerAddress, server: PeerAddress, id: number, name: string, type: DnsQuestionType): DecodedPacket | undefined {
    const drops = this.options.stats.drops;
    if (bytes.length > DNS_MAX_RESPONSE_BYTES) {
      drops.oversized++;
      return undefined;
    }
    if (from.address !== server.address || from.port !== server.port) {
      drops.mismatched++;
      return undefined;
    }
    // Header counts are checked before decoding, which sizes arrays from them: every record takes at least 11 bytes.
    if (bytes.length < 12) {
      drops.malformed++;
      return undefined;
    }
    const count = (at: number): number => (bytes[at]! << 8) | bytes[at + 1]!;
    if (count(6) + count(8) + count(10) > (bytes.length - 12) / 11) {
      drops.malformed++;
      return undefined;
    }
    if (count(0) !== id || (bytes[2]! & 0x80) === 0 || count(4) !== 1) {
      drops.mismatched++;
      return undefined;
    }
    let packet: DecodedPacket;
    try {
      packet = decode(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length));
    } catch {
      drops.malformed++;
      return undefined;
    }
    const q = packet.questions?.[0];
    if (q === undefined || q.type !== type || (q.class ?? 'IN') !== 'IN' || !sameName(q.name, name)) {
      drops.mismatched++;
      return undefined;
    }
    return packet;
  }
}

function outcomeOf(packet: DecodedPacket, name: string, type: DnsQuestionType): DecodedPacket | RpcError {
  const rcode = (packet as { rcode?: string }).rcode ?? 'NOERROR';
  switch (rcode) {
    case 'NOERROR':
      return packet.flag_tc ? dnsError('truncated', `DNS ${type} ${name}: the answer was truncated (more than ${DNS_MAX_RESPONSE_BYTES} bytes)`) : packet;
    case 'NXDOMAIN':
      return dnsError('nxdomain', `DNS ${type} ${name}: no such name (NXDOMAIN)`);
    case 'SERVFAIL':
      return dnsError('servfail', `DNS ${type} ${name}: server failure (SERVFAIL)`);
    case 'REFUSED':
      return dnsError('refused', `DNS ${type} ${name}: query refused (REFUSED)`);
    default:
      return dnsError('rcode', `DNS ${type} ${name}: response code ${rcode}`);
  }
}

function recordsOf(section: DecodedPacket['answers']): DnsRecord[] {
  const records: DnsRecord[] = [];
  for (const r of section ?? []) {
    if (r.type === 'SRV') {
      const { priority = 0, weight = 0, port, target } = r.data;
      records.push({ type: 'SRV', name: r.name, ttl: r.ttl ?? 0, data: { priority, weight, port, target } });
    } else if (r.type === 'A' || r.type === 'AAAA') {
      records.push({ type: r.type, name: r.name, ttl: r.ttl ?? 0, data: r.data });
    }
  }
  return records;
}

/** DNS names compare case-insensitively, with or without the root dot. */
export function sameName(a: string, b: string): boolean {
  return a.replace(/\.$/, '').toLowerCase() === b.replace(/\.$/, '').toLowerCase();
}
