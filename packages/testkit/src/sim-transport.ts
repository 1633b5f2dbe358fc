import { formatPeer, type DatagramHandler, type PeerAddress, type Transport } from '@udprpc/core';

/**
 * An endpoint of a {@link SimNetwork} or a memory network: a {@link Transport}
 * whose address is known (and fixed) from creation. Datagrams that arrive
 * before `listen` or after `close` are dropped and counted as unreachable,
 * as a UDP port nobody has bound would drop them.
 */
export interface SimTransport extends Transport {
  /** This endpoint's address (family `'sim'`); `listen` resolves with it too. */
  readonly address: PeerAddress;
  readonly maxDatagramBytes: number;
  /** True between `listen` and `close`. */
  readonly listening: boolean;
  /** True once `close` was called. */
  readonly closed: boolean;
}

/** @internal What an endpoint needs from the network it belongs to. */
export interface Fabric {
  transmit(from: SimEndpoint, bytes: Uint8Array, to: PeerAddress): void;
}

/** @internal The one implementation of {@link SimTransport}. */
export class SimEndpoint implements SimTransport {
  private handler: DatagramHandler | undefined;
  private state: 'idle' | 'listening' | 'closed' = 'idle';

  constructor(
    private readonly fabric: Fabric,
    readonly address: PeerAddress,
    readonly maxDatagramBytes: number,
  ) {}

  get listening(): boolean {
    return this.state === 'listening';
  }

  get closed(): boolean {
    return this.state === 'closed';
  }

  listen(onDatagram: DatagramHandler, _onError: (error: Error) => void): Promise<PeerAddress> {
    if (this.state !== 'idle') {
      const why = this.state === 'closed' ? 'is closed' : 'is already listening';
      return Promise.reject(new Error(`simulated endpoint ${formatPeer(this.address)} ${why}`));
    }
    this.handler = onDatagram;
    this.state = 'listening';
    return Promise.resolve(this.address);
  }

  /** Fire-and-forget; a no-op once closed. Never throws. */
  send(bytes: Uint8Array, to: PeerAddress): void {
    if (this.state === 'closed') return;
    this.fabric.transmit(this, bytes, to);
  }

  close(): Promise<void> {
    this.state = 'closed';
    this.handler = undefined;
    return Promise.resolve();
  }

  /** @internal Hands a datagram to the handler; false when not listening. */
  receive(bytes: Uint8Array, from: PeerAddress): boolean {
    const handler = this.handler;
    if (this.state !== 'listening' || handler === undefined) return false;
    handler(bytes, from);
    return true;
  }
}
