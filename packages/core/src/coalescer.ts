import { BATCH_ENTRY_BYTES, encodeBatch, HEADER_BYTES, MAX_BATCH_FRAMES } from './frame.js';
import { deferOn, type Clock } from './clock.js';
import type { PeerAddress } from './transport.js';

interface Pending {
  readonly peer: PeerAddress;
  frames: Uint8Array[];
}

/**
 * Frame coalescing (protocol.md §3.4). The first frame of an event-loop turn
 * goes out at once, so a lone call pays neither delay nor bytes. Frames that
 * follow it in the same turn are held until the turn ends, then go out as
 * few datagrams per peer as the size limit allows (several as BATCH frames).
 * Peers are matched by object identity — engines and transports reuse one
 * PeerAddress object per address, and a miss only costs a missed batch.
 */
export class Coalescer {
  private readonly pending = new Map<PeerAddress, Pending>();
  /** A frame already left in this turn; later ones wait for its end. */
  private turnOpen = false;

  constructor(
    private readonly send: (bytes: Uint8Array, to: PeerAddress) => void,
    private readonly maxDatagramBytes: number,
    /** Runs a callback once the current turn's work is done (setImmediate, or the virtual clock's equivalent). */
    private readonly defer: (callback: () => void) => void,
  ) {}

  /** Queues one frame for `to`. */
  push(frame: Uint8Array, to: PeerAddress): void {
    if (!this.turnOpen) {
      this.turnOpen = true;
      this.defer(this.flush);
      this.send(frame, to);
      return;
    }
    let p = this.pending.get(to);
    if (p === undefined) {
      p = { peer: to, frames: [] };
      this.pending.set(to, p);
    }
    p.frames.push(frame);
  }

  /** Sends everything queued now. */
  readonly flush = (): void => {
    this.turnOpen = false;
    for (const p of this.pending.values()) this.sendAll(p.peer, p.frames);
    this.pending.clear();
  };

  private sendAll(peer: PeerAddress, frames: Uint8Array[]): void {
    const limit = this.maxDatagramBytes - HEADER_BYTES;
    let batch: Uint8Array[] = [];
    let size = 0;
    const emit = (): void => {
      if (batch.length === 1) this.send(batch[0]!, peer);
      else if (batch.length > 1) this.send(encodeBatch(batch), peer);
      batch = [];
      size = 0;
    };
    for (const frame of frames) {
      const cost = BATCH_ENTRY_BYTES + frame.length;
      if (cost > limit) {
        // Too big to share a datagram (a full fragment): it goes alone.
        emit();
        this.send(frame, peer);
        continue;
      }
      if (size + cost > limit || batch.length === MAX_BATCH_FRAMES) emit();
      batch.push(frame);
      size += cost;
    }
    emit();
  }
}

/** A send function, plus a way to push out whatever it is holding. */
export type FlushableSend = ((bytes: Uint8Array, to: PeerAddress) => void) & { flush(): void };

/**
 * The send function an engine should use on `transport`: through a
 * {@link Coalescer} when `coalesce` is on, straight to the transport
 * otherwise. Call `flush()` before closing the transport.
 */
export function sendVia(
  transport: { send(bytes: Uint8Array, to: PeerAddress): void },
  coalesce: boolean,
  maxDatagramBytes: number,
  clock: Clock,
): FlushableSend {
  const direct = (bytes: Uint8Array, to: PeerAddress): void => transport.send(bytes, to);
  if (!coalesce) return Object.assign(direct, { flush: () => {} });
  const coalescer = new Coalescer(direct, maxDatagramBytes, (cb) => deferOn(clock, cb));
  return Object.assign((bytes: Uint8Array, to: PeerAddress) => coalescer.push(bytes, to), { flush: coalescer.flush });
}
