import { isIP } from 'node:net';
import { RpcError, type DatagramHandler, type PeerAddress, type Transport } from '@udprpc/core';
import { checkNumber, checkObject, checkOptionalBoolean, checkOptionalNumber } from '@udprpc/core/engine';
import { errnoOf } from './errno.js';
import { checkIpLiteral, payloadLimit, type UdpTransportOptions } from './udp-options.js';
import { zeroCounters, type UdpTransportStats } from './udp-stats.js';
import type { UdpTransport } from './udp-transport-api.js';
import { createUdpTransport } from './udp-transport.js';

/** Options for {@link createGroupTransport}. */
export interface GroupTransportOptions {
  /**
   * The group every member listens on: an IPv4 or IPv6 multicast address
   * (`'239.255.0.1'`, `'ff15::1'`), or with `broadcast: true` an IPv4
   * broadcast address (`'192.168.1.255'`, `'255.255.255.255'`,
   * `'127.255.255.255'` on Linux loopback).
   */
  group: string;
  /**
   * The group port, shared by every member. `0` lets the OS pick one: read
   * {@link GroupTransport.groupAddress} after `listen` and give it to the others.
   */
  port: number;
  /**
   * The local interface to join the group on, also used for multicast this
   * transport sends: an IPv4 address (`'127.0.0.1'`) or an IPv6 scope
   * (`'::%eth0'`). Default: the OS picks (the default route's interface).
   */
  interface?: string;
  /**
   * Address to bind the unicast socket, which sends every reply. Default:
   * `interface` when it is a plain IP address, else `'0.0.0.0'` / `'::'`
   * (then `listen` resolves with that wildcard, while callers see the
   * concrete source address of the replies).
   */
  host?: string;
  /** Port of the unicast socket, e.g. for a firewall rule. Default `0`: an ephemeral port. */
  unicastPort?: number;
  /** IP_MULTICAST_TTL of multicast sent by this transport (used only when it calls a group itself). */
  ttl?: number;
  /** IP_MULTICAST_LOOP for multicast sent by this transport. */
  loopback?: boolean;
  /** `group` is an IPv4 broadcast address: receive broadcasts on it instead of joining a multicast group. */
  broadcast?: boolean;
  /** Largest datagram sent or accepted (default and maximum 65507 / 65527). */
  maxDatagramBytes?: number;
  /** SO_RCVBUF of both sockets, in bytes. */
  recvBufferBytes?: number;
}

/** Counters of a {@link GroupTransport}: one snapshot per socket. */
export interface GroupTransportStats {
  /** The shared socket bound to the group port: group requests arrive here. */
  readonly group: UdpTransportStats;
  /** The member's own socket: every reply leaves here; direct calls arrive here. */
  readonly unicast: UdpTransportStats;
}

/** A {@link Transport} for one member of a multicast or broadcast group. */
export interface GroupTransport extends Transport {
  /** The unicast address (what `listen` resolved with) while listening; `undefined` otherwise. */
  readonly localAddress: PeerAddress | undefined;
  /** The group address and port while listening (the port resolved when 0 was asked for). */
  readonly groupAddress: PeerAddress | undefined;
  /** Largest datagram sent or accepted. */
  readonly maxDatagramBytes: number;
  /** A snapshot of both sockets' counters. */
  stats(): GroupTransportStats;
}

interface ResolvedGroupOptions {
  readonly group: string;
  readonly port: number;
  readonly type: 'udp4' | 'udp6';
  readonly broadcast: boolean;
  readonly iface: string | undefined;
  /** Options common to both sockets. */
  readonly common: UdpTransportOptions;
  /** Options of the unicast socket. */
  readonly unicast: UdpTransportOptions;
}

type State = 'idle' | 'binding' | 'listening' | 'closing' | 'closed';

/**
 * Creates a transport for a server that is one member of a group. It
 * receives on two sockets and hands datagrams from both to the one handler:
 *
 * - a shared socket bound to the group port with SO_REUSEADDR (so several
 *   members can share the port on one host), which joins `group` on
 *   `interface` — or, for `broadcast: true`, receives broadcasts to `group`;
 * - its own unicast socket on an ephemeral port of the same family.
 *
 * Every datagram it sends leaves from the unicast socket, so each member
 * answers a group call from a distinct address: the client reports that
 * address as the reply's `peer` and can call that member directly afterwards.
 * `listen` resolves with the unicast address; `groupAddress` tells the group
 * port. Socket errors are mapped to {@link RpcError} codes as in
 * `createUdpTransport`.
 *
 * @example
 * const transport = createGroupTransport({ group: '239.255.0.1', port: 4000, interface: '127.0.0.1' });
 * const server = createServer({ transport }).implement(contract, handlers);
 * const unicast = await server.listen(); // e.g. 127.0.0.1:53117
 *
 * @throws TypeError for an option of the wrong type or shape (a group that
 * is not a multicast address, or not IPv4 with `broadcast`; a host or
 * interface of the other family), RangeError for a number out of range
 * (`port` 70000, `ttl` 256, …); the message names the option.
 */
export function createGroupTransport(options: GroupTransportOptions): GroupTransport {
  return new GroupTransportImpl(options);
}

class GroupTransportImpl implements GroupTransport {
  readonly maxDatagramBytes: number;
  private readonly options: ResolvedGroupOptions;
  private unicast: UdpTransport;
  private shared: UdpTransport | undefined;
  private state: State = 'idle';
  private group: PeerAddress | undefined;
  private closing: Promise<void> | undefined;

  constructor(options: GroupTransportOptions) {
    const o = (this.options = resolveGroupOptions(options));
    this.maxDatagramBytes = options.maxDatagramBytes ?? payloadLimit(o.type);
    this.unicast = createUdpTransport(o.unicast);
  }

  get localAddress(): PeerAddress | undefined {
    return this.state === 'listening' ? this.unicast.localAddress : undefined;
  }

  get groupAddress(): PeerAddress | undefined {
    return this.state === 'listening' ? this.group : undefined;
  }

  stats(): GroupTransportStats {
    return { group: this.shared?.stats() ?? { ...zeroCounters() }, unicast: this.unicast.stats() };
  }

  async listen(onDatagram: DatagramHandler, onError: (error: Error) => void): Promise<PeerAddress> {
    if (this.state !== 'idle') throw new RpcError('FAILED_PRECONDITION', `group transport: listen called while ${this.state}`);
    const o = this.options;
    this.state = 'binding';
    try {
      const shared = await this.bindShared(o, onDatagram, onError);
      // Membership makes the kernel deliver the group's datagrams to the port's
      // sockets; broadcasts need none. Throws an RpcError mapped from the errno.
      if (!o.broadcast) shared.addMembership(o.group, o.iface);
      const port = shared.localAddress?.port ?? o.port;
      const local = await this.unicast.listen(onDatagram, onError);
      this.ensureBinding();
      this.group = Object.freeze({ address: o.group, family: o.type === 'udp6' ? 'IPv6' : 'IPv4', port });
      this.state = 'listening';
      return local;
    } catch (e) {
      const error = RpcError.from(e);
      if (this.state === 'binding') {
        await Promise.all([this.shared?.close(), this.unicast.close()]);
        this.shared = undefined;
        // Back to idle, like createUdpTransport after a failed bind: listen may be
        // retried. Unless `close` was called meanwhile: then it stays closed.
        if (this.state === 'binding') {
          this.unicast = createUdpTransport(o.unicast);
          this.state = 'idle';
        }
      }
      throw error;
    }
  }

  send(bytes: Uint8Array, to: PeerAddress): void {
    // Replies (and anything else) leave from the member's own address.
    this.unicast.send(bytes, to);
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      this.state = 'closing';
      await Promise.all([this.shared?.close(), this.unicast.close()]);
      this.state = 'closed';
    })();
    return this.closing;
  }

  // --- internals -----------------------------------------------------------

  /**
   * Binds the shared socket to the group address itself, which receives only
   * that group's traffic (Linux, BSD, macOS); where that is refused (Windows)
   * it falls back to the wildcard address. EADDRINUSE would only repeat.
   */
  private async bindShared(o: ResolvedGroupOptions, onDatagram: DatagramHandler, onError: (error: Error) => void): Promise<UdpTransport> {
    const wildcard = o.type === 'udp6' ? '::' : '0.0.0.0';
    for (const host of [o.group, wildcard]) {
      this.ensureBinding();
      const shared = createUdpTransport({
        ...o.common,
        host,
        port: o.port,
        reuseAddr: true,
        ...(host === wildcard && o.type === 'udp6' ? { ipv6Only: true } : {}),
      });
      this.shared = shared;
      try {
        await shared.listen(onDatagram, onError);
        this.ensureBinding();
        return shared;
      } catch (e) {
        const error = RpcError.from(e);
        if (host === wildcard || this.state !== 'binding' || errnoOf(error.cause) === 'EADDRINUSE') throw error;
      }
    }
    throw new RpcError('INTERNAL', 'group transport: unreachable');
  }

  /** Throws CANCELLED when `close` was called while `listen` was binding. */
  private ensureBinding(): void {
    if (this.state !== 'binding') throw new RpcError('CANCELLED', 'group transport: closed before the sockets were bound');
  }
}

/** Whether `address` (an IP literal) is an IPv4 or IPv6 multicast address. */
export function isMulticastAddress(address: string): boolean {
  const version = isIP(address);
  if (version === 4) {
    const first = Number(address.slice(0, address.indexOf('.')));
    return first >= 224 && first <= 239;
  }
  return version === 6 && /^ff[0-9a-f]{0,2}:/i.test(address);
}

/**
 * Applies defaults and checks the options: a TypeError for a value of the
 * wrong type or shape (a group that is not a multicast or, with
 * `broadcast`, an IPv4 address; a host or interface of the other family),
 * a RangeError for a number out of range. The options both sockets share
 * (`maxDatagramBytes`, `recvBufferBytes`) are checked by the unicast
 * socket's `createUdpTransport`, with the same names.
 */
function resolveGroupOptions(options: GroupTransportOptions): ResolvedGroupOptions {
  checkObject(options as unknown, 'options');
  const { group, port, interface: iface, host, ttl, loopback, unicastPort = 0 } = options;
  checkOptionalBoolean(options.broadcast, 'options.broadcast');
  checkOptionalBoolean(loopback, 'options.loopback');
  const broadcast = options.broadcast ?? false;
  const version = checkIpLiteral(group, 'options.group', "an IP literal such as '239.255.0.1' or 'ff15::1'");
  const type = version === 6 ? 'udp6' : 'udp4';
  if (broadcast && type === 'udp6') throw new TypeError(`options.broadcast: IPv6 has no broadcast: use a multicast group instead of ${group}`);
  if (broadcast && isMulticastAddress(group)) throw new TypeError(`options.group ${group} is a multicast address: omit broadcast: true`);
  if (!broadcast && !isMulticastAddress(group)) {
    throw new TypeError(`options.group ${group} is not a multicast address (224.0.0.0/4, ff00::/8); pass broadcast: true for a broadcast address`);
  }
  checkNumber(port, 'options.port', { min: 0, max: 65_535, integer: true });
  checkNumber(unicastPort, 'options.unicastPort', { min: 0, max: 65_535, integer: true });
  checkOptionalNumber(ttl, 'options.ttl', { min: 0, max: 255, integer: true });
  if (host !== undefined) checkIpLiteral(host, 'options.host', `an IPv${version} literal like the group`, version);
  if (iface !== undefined) {
    checkIpLiteral(iface, 'options.interface', `an IPv${version} ${version === 6 ? "scope such as '::%eth0'" : "address such as '127.0.0.1'"}`, version);
  }
  // An interface address is the natural unicast address; a scope ('::%eth0') is not bindable as such.
  const plainIface = iface !== undefined && !iface.includes('%') && iface !== '0.0.0.0' && iface !== '::' ? iface : undefined;
  const common: UdpTransportOptions = {
    type,
    ...(options.maxDatagramBytes === undefined ? {} : { maxDatagramBytes: options.maxDatagramBytes }),
    ...(options.recvBufferBytes === undefined ? {} : { recvBufferBytes: options.recvBufferBytes }),
  };
  const unicast: UdpTransportOptions = {
    ...common,
    host: host ?? plainIface ?? (type === 'udp6' ? '::' : '0.0.0.0'),
    port: unicastPort,
    ...(ttl === undefined ? {} : { multicastTtl: ttl }),
    ...(loopback === undefined ? {} : { multicastLoopback: loopback }),
    ...(iface === undefined || broadcast ? {} : { multicastInterface: iface }),
    ...(broadcast ? { broadcast: true } : {}),
  };
  return { group, port, type, broadcast, iface, common, unicast };
}
