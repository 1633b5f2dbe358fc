import { HEADER_BYTES } from '../wire/frame-header.js';
import { BATCH_ENTRY_BYTES, encodeBatch, MAX_BATCH_FRAMES } from '../wire/batch.js';
import { datagramLength, joinChunks, sendChunks, type PeerAddress, type Transport } from './transport.js';

/** A frame queued whole, or as chunks to send without joining (see `pushv`). */
type Queued = Uint8Array | readonly Uint8Array[];

interface Pending {
  readonly peer: PeerAddress;
  readonly frames: Queued[];
}

/**
 * Frame coalescing (protocol.md §3.4). Frames an engine sends during one
 * job — the handling of one received datagram, or one burst of calls, plus
 * the microtasks it queued — are held until that job is done, then leave as
 * few datagrams per peer as the size limit allows (several as BATCH frames).
 * Flushing per job rather than per event-loop iteration keeps both peers
 * busy: replies to one datagram leave while the next is being handled. A
 * lone frame leaves unchanged, a microtask later.
 * Peers are matched by object identity — engines and transports reuse one
 * PeerAddress object per address, and a miss only costs a missed batch.
 */
export class Coalescer {
  /** Peers with queued frames, in the order their first frame arrived. */
  private pending: Pending[] = [];
  /** The other of two arrays swapped at each flush (no allocation per job). */
  private spare: Pending[] = [];
  private readonly byPeer = new Map<PeerAddress, Pending>();
  private scheduled = false;

  constructor(
    private readonly send: (bytes: Uint8Array, to: PeerAddress) => void,
    private readonly maxDatagramBytes: number,
    /** Runs a callback once the current job is done; tests may hold it. */
    private readonly defer: (callback: () => void) => void = queueMicrotask,
    /** Sends one datagram made of chunks; without it, chunks are joined for `send`. */
    private readonly sendv: (chunks: readonly Uint8Array[], to: PeerAddress) => void = (chunks, to) => send(joinChunks(chunks), to),
  ) {}

  /** Queues one frame for `to`. */
  push(frame: Uint8Array, to: PeerAddress): void {
    this.queue(frame, to);
  }

  /**
   * Queues one frame for `to` given as chunks, in order. The caller must not
   * change them until the flush: a frame too big to share a datagram leaves
   * unjoined; a smaller one is joined and may be batched.
   */
  pushv(chunks: readonly Uint8Array[], to: PeerAddress): void {
    this.queue(chunks, to);
  }

  private queue(frame: Queued, to: PeerAddress): void {
    if (!this.scheduled) {
      this.scheduled = true;
      this.defer(this.flush);
    }
    const last = this.pending[this.pending.length - 1];
    if (last !== undefined && last.peer === to) {
      last.frames.push(frame);
      return;
    }
    let p = this.byPeer.get(to);
    if (p === undefined) {
      p = { peer: to, frames: [] };
      this.byPeer.set(to, p);
      this.pending.push(p);
    }
    p.frames.push(frame);
  }

  /** Sends everything queued now. */
  readonly flush = (): void => {
    this.scheduled = false;
    const peers = this.pending;
    if (peers.length === 0) return;
    // Detach first: a send may fail synchronously into code that pushes again.
    this.pending = this.spare;
    this.spare = peers;
    this.byPeer.clear();
    for (const p of peers) {
      if (p.frames.length === 1) this.sendOne(p.frames[0]!, p.peer);
      else this.sendAll(p.peer, p.frames);
    }
    peers.length = 0;
  };

  private sendOne(frame: Queued, peer: PeerAddress): void {
    if (frame instanceof Uint8Array) this.send(frame, peer);
    else this.sendv(frame, peer);
  }

  private sendAll(peer: PeerAddress, frames: Queued[]): void {
    const limit = this.maxDatagramBytes - HEADER_BYTES;
    let batch: Uint8Array[] = [];
    let size = 0;
    const emit = (): void => {
      if (batch.length === 1) this.send(batch[0]!, peer);
      else if (batch.length > 1) this.send(encodeBatch(batch), peer);
      batch = [];
      size = 0;
    };
    for (const queued of frames) {
      const cost = BATCH_ENTRY_BYTES + datagramLength(queued);
      if (cost > limit) {
        // Too big to share a datagram (a full fragment): it goes alone.
        emit();
        this.sendOne(queued, peer);
        continue;
      }
      const frame = queued instanceof Uint8Array ? queued : joinChunks(queued);
      if (size + cost > limit || batch.length === MAX_BATCH_FRAMES) emit();
      batch.push(frame);
      size += cost;
    }
    emit();
  }
}

/** A send function, plus a way to push out whatever it is holding. */
export type FlushableSend = ((bytes: Uint8Array, to: PeerAddress) => void) & {
  /** Sends what is held for coalescing now. */
  flush(): void;
  /** Sends one frame given as chunks, in order, without joining them when it can. */
  sendv(chunks: readonly Uint8Array[], to: PeerAddress): void;
};

/**
 * The send function an engine should use on `transport`: through a
 * {@link Coalescer} when `coalesce` is on, straight to the transport
 * otherwise. Call `flush()` before closing the transport.
 */
export function sendVia(transport: Pick<Transport, 'send' | 'sendv'>, coalesce: boolean, maxDatagramBytes: number): FlushableSend {
  const direct = (bytes: Uint8Array, to: PeerAddress): void => transport.send(bytes, to);
  const directv = (chunks: readonly Uint8Array[], to: PeerAddress): void => sendChunks(transport, chunks, to);
  if (!coalesce) return Object.assign(direct, { flush: () => {}, sendv: directv });
  const coalescer = new Coalescer(direct, maxDatagramBytes, queueMicrotask, directv);
  return Object.assign((bytes: Uint8Array, to: PeerAddress) => coalescer.push(bytes, to), {
    flush: coalescer.flush,
    sendv: (chunks: readonly Uint8Array[], to: PeerAddress) => coalescer.pushv(chunks, to),
  });
}
