import { maxPathDatagramBytes } from './path-limit.js';
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { RpcError, formatPeer, type DatagramHandler, type PeerAddress, type UnreachableHandler } from '@udprpc/core';
import { datagramLength } from '@udprpc/core/engine';
import { errnoOf, icmpErrnos, rpcErrorFromErrno } from './errno.js';
import { PeerCache } from './peer-cache.js';
import { describeTarget, formatBindAddress, literalLookup, sendAddressFor } from './socket-address.js';
import { resolveUdpOptions, type ResolvedUdpOptions, type UdpTransportOptions } from './udp-options.js';
import type { UdpTransport } from './udp-transport-api.js';
import { zeroCounters, type UdpTransportStats } from './udp-stats.js';

type State = 'idle' | 'binding' | 'listening' | 'closing' | 'closed';

/**
 * Creates a UDP transport. Nothing happens until `listen`, which creates and
 * binds the socket.
 *
 * `send` never throws: every failure is counted in `stats()` and, once
 * `listen` was called, reported to its `onError` as an {@link RpcError}.
 * Received datagrams are handed over as the Buffer Node allocated (no copy),
 * with interned {@link PeerAddress} objects.
 *
 * @example
 * const transport = createUdpTransport({ host: '::1' });
 * const local = await transport.listen((bytes, from) => transport.send(bytes, from), console.error);
 * // ... later
 * await transport.close();
 *
 * @throws TypeError for an option of the wrong type or shape (a host name
 * instead of an IP literal, a `type` that does not match `host`, `ipv6Only`
 * on udp4, …), RangeError for a number out of range (`port` 70000,
 * `maxDatagramBytes` above the family's payload limit, …); the message
 * names the option. Socket failures come later, from `listen` and `onError`,
 * as RpcErrors.
 */
export function createUdpTransport(options: UdpTransportOptions = {}): UdpTransport {
  return new UdpTransportImpl(options);
}

interface PendingListen {
  resolve(address: PeerAddress): void;
  reject(error: RpcError): void;
}

class UdpTransportImpl implements UdpTransport {
  readonly maxDatagramBytes: number;
  private readonly type: 'udp4' | 'udp6';
  private readonly ipv6Only: boolean | undefined;
  private readonly options: ResolvedUdpOptions;
  private readonly peers: PeerCache;
  private readonly counters = zeroCounters();
  private state: State = 'idle';
  private socket: Socket | undefined;
  private local: PeerAddress | undefined;
  /** Set once `connect(2)` succeeded: the one peer this socket talks to. */
  private connected: { address: string; port: number } | undefined;
  private pending: PendingListen | undefined;
  private closing: Promise<void> | undefined;
  private onDatagram: DatagramHandler | undefined;
  private onError: ((error: Error) => void) | undefined;
  private onUnreachable: UnreachableHandler | undefined;
  private refed = true;

  constructor(options: UdpTransportOptions) {
    const resolved = (this.options = resolveUdpOptions(options));
    this.type = resolved.type;
    this.ipv6Only = resolved.ipv6Only;
    this.maxDatagramBytes = resolved.maxDatagramBytes;
    this.peers = new PeerCache(resolved.peerCacheSize);
  }

  maxPathDatagramBytes(to: PeerAddress): number {
    return maxPathDatagramBytes(to, this.maxDatagramBytes);
  }

  get localAddress(): PeerAddress | undefined {
    return this.state === 'listening' ? this.local : undefined;
  }

  stats(): UdpTransportStats {
    return { ...this.counters, peerCacheEntries: this.peers.size };
  }

  listen(onDatagram: DatagramHandler, onError: (error: Error) => void, onUnreachable?: UnreachableHandler): Promise<PeerAddress> {
    if (this.state !== 'idle') {
      return Promise.reject(new RpcError('FAILED_PRECONDITION', `udp transport: listen called while ${this.state}`));
    }
    const o = this.options;
    const where = formatBindAddress(o.host, o.type, o.port);
    this.state = 'binding';
    this.onDatagram = onDatagram;
    this.onError = onError;
    this.onUnreachable = onUnreachable;
    return new Promise<PeerAddress>((resolve, reject) => {
      this.pending = { resolve, reject };
      let socket: Socket;
      try {
        socket = createSocket({ type: o.type, reuseAddr: o.reuseAddr, ipv6Only: o.ipv6Only, lookup: literalLookup });
      } catch (e) {
        this.failListen(rpcErrorFromErrno(e, `create ${o.type} socket for ${where}`));
        return;
      }
      this.socket = socket;
      if (!this.refed) socket.unref();
      socket.on('error', this.handleSocketError);
      socket.on('message', this.handleMessage);
      socket.once('listening', () => this.finishListen(socket, o, where));
      try {
        socket.bind({ address: o.host, port: o.port });
      } catch (e) {
        this.failListen(rpcErrorFromErrno(e, `bind ${where}`));
      }
    });
  }

  send(bytes: Uint8Array, to: PeerAddress): void {
    this.sendDatagram(bytes, to);
  }

  /**
   * Sends `chunks` as one datagram, gathered by the kernel (`sendmsg` with
   * one iovec per chunk): a fragment's header and the view of its message
   * body leave without being copied into one buffer first.
   */
  sendv(chunks: readonly Uint8Array[], to: PeerAddress): void {
    this.sendDatagram(chunks, to);
  }

  private sendDatagram(bytes: Uint8Array | readonly Uint8Array[], to: PeerAddress): void {
    try {
      this.trySend(bytes, to);
    } catch (e) {
      // Only reachable with arguments that defy the types (null bytes, a bad
      // `to`) or a synchronous throw from `socket.send`: still not our caller's crash.
      this.counters.sendErrors++;
      this.report(rpcErrorFromErrno(e, `send to ${describeTarget(to)}`));
    }
  }

  setRef(ref: boolean): void {
    this.refed = ref;
    // dgram's ref()/unref() are no-ops once the socket is closed.
    if (ref) this.socket?.ref();
    else this.socket?.unref();
  }

  close(): Promise<void> {
    if (this.closing !== undefined) return this.closing;
    const previous = this.state;
    this.state = 'closing';
    this.peers.clear();
    this.closing = new Promise<void>((resolve) => {
      const done = (): void => {
        this.state = 'closed';
        resolve();
      };
      if (previous === 'binding') this.failListen(new RpcError('CANCELLED', 'udp transport: closed before the socket was bound'));
      const socket = this.socket;
      if (socket === undefined) return done();
      try {
        socket.close(done);
      } catch {
        done(); // already closed by a failed bind: nothing left to release
      }
    });
    return this.closing;
  }

  addMembership(group: string, iface?: string): void {
    this.configure(`addMembership ${group}${onInterface(iface)}`, (socket) => socket.addMembership(group, iface));
  }

  dropMembership(group: string, iface?: string): void {
    this.configure(`dropMembership ${group}${onInterface(iface)}`, (socket) => socket.dropMembership(group, iface));
  }

  setMulticastInterface(iface: string): void {
    this.configure(`setMulticastInterface ${iface}`, (socket) => socket.setMulticastInterface(iface));
  }

  setBroadcast(flag: boolean): void {
    this.configure(`setBroadcast ${flag}`, (socket) => socket.setBroadcast(flag));
  }

  // --- internals -----------------------------------------------------------

  private trySend(bytes: Uint8Array | readonly Uint8Array[], to: PeerAddress): void {
    const socket = this.socket;
    if (this.state !== 'listening' || socket === undefined) {
      this.counters.sendDropsNotListening++;
      const why = this.state === 'idle' ? 'not listening' : this.state;
      this.report(new RpcError('FAILED_PRECONDITION', `udp transport: send to ${formatPeer(to)} dropped: transport is ${why}`));
      return;
    }
    const length = datagramLength(bytes);
    if (length > this.maxDatagramBytes) {
      this.counters.sendDropsOversize++;
      this.report(
        new RpcError('RESOURCE_EXHAUSTED', `udp transport: datagram of ${length} bytes to ${formatPeer(to)} exceeds maxDatagramBytes ${this.maxDatagramBytes}`, {
          details: { bytes: length, maxDatagramBytes: this.maxDatagramBytes },
        }),
      );
      return;
    }
    const address = sendAddressFor(to, this.type, this.ipv6Only);
    if (!address.ok) {
      this.counters.sendDropsBadPeer++;
      this.report(new RpcError('INVALID_ARGUMENT', `udp transport: send to ${formatPeer(to)} dropped: ${address.error}`));
      return;
    }
    // dgram takes any Uint8Array, or a list of them, as is (no Buffer view to
    // allocate); the caller must not reuse `bytes` until the datagram is sent.
    const connected = this.connected;
    if (connected === undefined) return socket.send(bytes, to.port, address.value, this.afterSend);
    if (to.port !== connected.port || address.value !== connected.address) {
      this.counters.sendDropsBadPeer++;
      this.report(new RpcError('INVALID_ARGUMENT', `udp transport: send to ${formatPeer(to)} dropped: the socket is connected to ${connected.address}:${connected.port}`));
      return;
    }
    socket.send(bytes, this.afterSend);
  }

  /** Runs once bound: applies the socket options, then resolves `listen`. */
  private finishListen(socket: Socket, o: ResolvedUdpOptions, where: string): void {
    if (this.state !== 'binding' || this.socket !== socket) return;
    try {
      if (o.recvBufferBytes !== undefined) socket.setRecvBufferSize(o.recvBufferBytes);
      if (o.sendBufferBytes !== undefined) socket.setSendBufferSize(o.sendBufferBytes);
      if (o.broadcast !== undefined) socket.setBroadcast(o.broadcast);
      if (o.multicastTtl !== undefined) socket.setMulticastTTL(o.multicastTtl);
      if (o.multicastLoopback !== undefined) socket.setMulticastLoopback(o.multicastLoopback);
      if (o.multicastInterface !== undefined) socket.setMulticastInterface(o.multicastInterface);
    } catch (e) {
      this.failListen(rpcErrorFromErrno(e, `configure socket bound to ${where}`));
      return;
    }
    const bound = socket.address();
    const family = bound.family === 'IPv6' ? 'IPv6' : 'IPv4';
    this.local = Object.freeze({ address: bound.address, family, port: bound.port });
    const ready = (): void => {
      if (this.state !== 'binding' || this.socket !== socket) return;
      this.state = 'listening';
      const pending = this.pending;
      this.pending = undefined;
      pending?.resolve(this.local!);
    };
    const target = o.connect;
    if (target === undefined) return ready();
    try {
      socket.connect(target.port, target.address, (error?: Error) => {
        if (error !== undefined && error !== null) this.failListen(rpcErrorFromErrno(error, `connect to ${target.address}:${target.port}`));
        else {
          this.connected = target;
          ready();
        }
      });
    } catch (e) {
      this.failListen(rpcErrorFromErrno(e, `connect to ${target.address}:${target.port}`));
    }
  }

  /** Rejects a pending `listen`, releases its socket and returns to idle (unless closing). */
  private failListen(error: RpcError): void {
    const pending = this.pending;
    this.pending = undefined;
    const socket = this.socket;
    this.socket = undefined;
    if (this.state === 'binding') {
      this.state = 'idle';
      this.onDatagram = undefined;
      this.onError = undefined;
      this.onUnreachable = undefined;
    }
    if (socket !== undefined) {
      try {
        socket.close();
      } catch {
        // already closed
      }
    }
    pending?.reject(error);
  }

  /** Runs a socket option call for the public setters, mapping its errno. */
  private configure(operation: string, apply: (socket: Socket) => void): void {
    const socket = this.socket;
    if (this.state !== 'listening' || socket === undefined) {
      throw new RpcError('FAILED_PRECONDITION', `udp transport: ${operation} needs a listening transport (it is ${this.state})`);
    }
    try {
      apply(socket);
    } catch (e) {
      throw rpcErrorFromErrno(e, operation);
    }
  }

  /** Hands an error to the `onError` given to `listen`; an `onError` that throws must not crash the process. */
  private report(error: RpcError): void {
    const onError = this.onError;
    if (onError === undefined) return;
    try {
      onError(error);
    } catch (thrown) {
      process.emitWarning(`udp transport: onError threw while reporting "${error.message}": ${String(thrown)}`, 'UdpTransportWarning');
    }
  }

  private readonly handleMessage = (message: Buffer, rinfo: RemoteInfo): void => {
    if (this.state !== 'listening') return;
    this.counters.datagramsReceived++;
    this.counters.bytesReceived += message.length;
    if (message.length > this.maxDatagramBytes) {
      this.counters.receiveDropsOversize++;
      return;
    }
    const from = this.peers.get(rinfo.address, rinfo.family === 'IPv6' ? 'IPv6' : 'IPv4', rinfo.port);
    try {
      this.onDatagram?.(message, from);
    } catch (e) {
      this.counters.handlerErrors++;
      this.report(RpcError.from(e, 'INTERNAL'));
    }
  };

  private readonly afterSend = (error: Error | null, bytes: number): void => {
    if (error === null || error === undefined) {
      this.counters.datagramsSent++;
      this.counters.bytesSent += bytes;
      return;
    }
    const errno = errnoOf(error);
    if (errno !== undefined && icmpErrnos.has(errno)) return this.onIcmpError(errno);
    if (this.state === 'closing' || this.state === 'closed') {
      this.counters.sendDropsNotListening++; // cancelled by close: not news to anyone
      return;
    }
    this.counters.sendErrors++;
    this.report(rpcErrorFromErrno(error, `send to ${describeTarget(error)}`));
  };

  /**
   * An ICMP error for an earlier datagram. On a connected socket it can only
   * be about the one peer, and ECONNREFUSED means nothing listens there:
   * reported to `onUnreachable` (counted as `refusalsReported`). Otherwise it
   * names no peer and is counted and ignored.
   */
  private onIcmpError(errno: string): void {
    const connected = this.connected;
    const onUnreachable = this.onUnreachable;
    if (errno !== 'ECONNREFUSED' || connected === undefined || onUnreachable === undefined || this.state !== 'listening') {
      this.counters.icmpErrorsIgnored++;
      return;
    }
    this.counters.refusalsReported++;
    const peer = this.peers.get(connected.address, this.type === 'udp6' ? 'IPv6' : 'IPv4', connected.port);
    try {
      onUnreachable(peer);
    } catch (e) {
      this.counters.handlerErrors++;
      this.report(RpcError.from(e, 'INTERNAL'));
    }
  }

  private readonly handleSocketError = (error: Error): void => {
    if (this.state === 'binding') {
      const o = this.options;
      this.failListen(rpcErrorFromErrno(error, `bind ${formatBindAddress(o.host, o.type, o.port)}`));
      return;
    }
    const errno = errnoOf(error);
    if (errno !== undefined && icmpErrnos.has(errno)) return this.onIcmpError(errno);
    this.counters.socketErrors++;
    this.report(rpcErrorFromErrno(error, 'udp socket'));
  };
}

function onInterface(iface: string | undefined): string {
  return iface === undefined ? '' : ` on ${iface}`;
}
