import { RpcError, type DatagramHandler, type PeerAddress, type Transport } from '@udprpc/core';
import { checkFunction } from '@udprpc/core/engine';
import { createUdpTransport, maxPathDatagramBytes } from '@udprpc/transport-udp';

/** An IP family a client may need a socket for. */
export type IpFamily = 'IPv4' | 'IPv6';

/** Makes the socket of one family (a client socket: wildcard address, port 0). */
export type FamilySocketFactory = (family: IpFamily) => Transport;

/** The default: `udp4` on 0.0.0.0, or `udp6` on `::` with IPV6_V6ONLY. */
export const udpSocketFor: FamilySocketFactory = (family) =>
  family === 'IPv6' ? createUdpTransport({ host: '::', type: 'udp6', ipv6Only: true }) : createUdpTransport({ host: '0.0.0.0', type: 'udp4' });

/**
 * A client transport with **one socket per IP family**, opened only for the
 * families the endpoints use. Datagrams go out on the socket of the
 * destination's family; replies come back on it with their own family.
 *
 * Why not one dual-stack `udp6` socket: it reaches IPv4 servers only through
 * IPv4-mapped addresses (`::ffff:10.0.0.1`), so replies arrive from an
 * address that differs from the one the client called; it depends on the
 * host's IPV6_V6ONLY default; and it cannot even be created where IPv6 is
 * disabled, which would break IPv4-only deployments. Two plain sockets have
 * none of these problems.
 *
 * `listen` succeeds when at least one family's socket binds (the others
 * are reported to `onError`), and may be called again after it failed (e.g.
 * the first DNS lookup failed): sockets already bound are kept.
 */
export class FamilyTransport implements Transport {
  /** Loopback and LANs: the client clamps what it sends to 1200 bytes anyway. */
  readonly maxDatagramBytes = 65_507;
  private readonly sockets = new Map<IpFamily, Promise<PeerAddress>>();

  /** Toward loopback the whole 65,507 bytes, otherwise an Ethernet frame's payload (path MTU discovery's ceiling, protocol.md §7.5). */
  maxPathDatagramBytes(to: PeerAddress): number {
    return maxPathDatagramBytes(to, this.maxDatagramBytes);
  }
  private readonly open = new Map<IpFamily, Transport>();
  private onDatagram: DatagramHandler | undefined;
  private onError: ((error: Error) => void) | undefined;
  private closed = false;
  private refed = true;

  constructor(
    /** The families needed at first (from the first resolution). */
    private readonly initialFamilies: () => Promise<readonly IpFamily[]>,
    private readonly factory: FamilySocketFactory = udpSocketFor,
  ) {
    checkFunction(initialFamilies, 'initialFamilies');
    checkFunction(factory, 'factory');
  }

  async listen(onDatagram: DatagramHandler, onError: (error: Error) => void): Promise<PeerAddress> {
    this.onDatagram = onDatagram;
    this.onError = onError;
    const families = await this.initialFamilies();
    const results = await Promise.allSettled((families.length === 0 ? (['IPv4'] as const) : families).map((f) => this.ensureFamily(f)));
    // One family failing (IPv6 disabled on this host, say) leaves the other usable.
    const bound = results.find((r) => r.status === 'fulfilled');
    for (const r of results) if (r.status === 'rejected' && bound !== undefined) onError(RpcError.from(r.reason, 'UNAVAILABLE'));
    if (bound === undefined) throw (results[0] as PromiseRejectedResult).reason;
    return bound.value;
  }

  /** Opens the socket for `family` if it is not open yet (shared by concurrent callers; retried after a failure). */
  ensureFamily(family: IpFamily): Promise<PeerAddress> {
    if (this.closed) return Promise.reject(new RpcError('CANCELLED', 'transport closed'));
    let bound = this.sockets.get(family);
    if (bound === undefined) {
      const socket = this.factory(family);
      if (!this.refed) socket.setRef?.(false);
      bound = socket
        .listen(
          (bytes, from, meta) => this.onDatagram?.(bytes, from, meta),
          (error) => this.onError?.(error),
        )
        .then(
          async (address) => {
            if (this.closed) await socket.close();
            else this.open.set(family, socket);
            return address;
          },
          async (error: unknown) => {
            this.sockets.delete(family);
            await socket.close();
            throw error;
          },
        );
      this.sockets.set(family, bound);
    }
    return bound;
  }

  /** Whether the socket of `family` is bound. */
  has(family: IpFamily): boolean {
    return this.open.has(family);
  }

  send(bytes: Uint8Array, to: PeerAddress): void {
    const socket = this.open.get(to.family === 'IPv6' ? 'IPv6' : 'IPv4');
    if (socket !== undefined) return socket.send(bytes, to);
    this.onError?.(new RpcError('UNAVAILABLE', `no ${to.family} socket open for ${to.address}`));
  }

  setRef(ref: boolean): void {
    this.refed = ref;
    for (const socket of this.open.values()) socket.setRef?.(ref);
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.allSettled(this.sockets.values()); // a socket still binding closes itself
    const sockets = [...this.open.values()];
    this.open.clear();
    await Promise.all(sockets.map((s) => s.close()));
  }
}
