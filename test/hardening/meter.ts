// A wrapper around the server's simulated endpoint that sees every datagram
// at the server's socket: bytes per peer in both directions, the frames
// (batches unpacked), and incoming datagrams held back on request.
import { FrameType, decodeFrame, splitBatch, type Frame } from '@udprpc/core/wire';
import { peerKey } from '@udprpc/core/engine';
import type { PeerAddress, Transport } from 'udprpc';
import type { SimTransport } from '@udprpc/testkit';

/**
 * The frames a datagram carries: one, or those inside a BATCH (coalesced
 * frames, protocol.md §3.4). Undecodable datagrams and entries carry none.
 */
export function framesOf(bytes: Uint8Array): Frame[] {
  const decoded = decodeFrame(bytes);
  if (!decoded.ok) return [];
  if (decoded.value.type !== FrameType.BATCH) return [decoded.value];
  const parts = splitBatch(decoded.value.body);
  if (!parts.ok) return [];
  return parts.value.flatMap((part) => {
    const one = decodeFrame(part);
    return one.ok ? [one.value] : [];
  });
}

/** Byte and frame counts of one peer, as seen at the server's socket. */
export interface PeerTraffic {
  bytesIn: number;
  bytesOut: number;
  /** Largest bytesOut / bytesIn ratio seen at any send, before the peer echoed a token. */
  worstRatioBeforeValidation: number;
  /** Set once the peer echoed a token that the server had sent it. */
  echoedToken: boolean;
}

/**
 * Wraps the server's endpoint: counts bytes per peer both ways, records the
 * decoded frames, and holds back incoming datagrams `hold` selects.
 */
export class Meter implements Transport {
  readonly peers = new Map<string, PeerTraffic>();
  /** Every frame the server sent (batches unpacked). */
  readonly sent: { frame: Frame; to: PeerAddress }[] = [];
  /** Every frame the server received (batches unpacked). */
  readonly received: { frame: Frame; from: PeerAddress }[] = [];
  /** Tokens the server sent in VALIDATE frames, per peer key (hex). */
  private readonly tokens = new Map<string, Set<string>>();
  /** Holds back an incoming datagram when it returns true for one of its frames. */
  hold: (frame: Frame, from: PeerAddress) => boolean = () => false;
  private readonly held: { bytes: Uint8Array; from: PeerAddress }[] = [];
  private deliver: ((bytes: Uint8Array, from: PeerAddress) => void) | undefined;

  constructor(readonly inner: SimTransport) {}

  get maxDatagramBytes(): number {
    return this.inner.maxDatagramBytes;
  }

  traffic(peer: PeerAddress): PeerTraffic {
    const key = peerKey(peer);
    let t = this.peers.get(key);
    if (t === undefined) {
      t = { bytesIn: 0, bytesOut: 0, worstRatioBeforeValidation: 0, echoedToken: false };
      this.peers.set(key, t);
    }
    return t;
  }

  listen(...[onDatagram, onError]: Parameters<Transport['listen']>): ReturnType<Transport['listen']> {
    this.deliver = (bytes, from) => {
      const t = this.traffic(from);
      t.bytesIn += bytes.length;
      for (const frame of framesOf(bytes)) {
        this.received.push({ frame, from });
        if (frame.type === FrameType.VALIDATE_ECHO && this.tokens.get(peerKey(from))?.has(hex(frame.body)) === true) t.echoedToken = true;
      }
      onDatagram(bytes, from);
    };
    return this.inner.listen((bytes, from) => {
      if (framesOf(bytes).some((f) => this.hold(f, from))) this.held.push({ bytes, from });
      else this.deliver!(bytes, from);
    }, onError);
  }

  /** Delivers the held datagrams that carry a frame `which` selects (default: all), in arrival order. */
  release(which: (frame: Frame) => boolean = () => true): number {
    const chosen = this.held.filter(({ bytes }) => framesOf(bytes).some(which));
    for (const h of chosen) this.held.splice(this.held.indexOf(h), 1);
    for (const { bytes, from } of chosen) this.deliver?.(bytes, from);
    return chosen.length;
  }

  send(bytes: Uint8Array, to: PeerAddress): void {
    const t = this.traffic(to);
    t.bytesOut += bytes.length;
    if (!t.echoedToken) t.worstRatioBeforeValidation = Math.max(t.worstRatioBeforeValidation, t.bytesOut / Math.max(1, t.bytesIn));
    for (const frame of framesOf(bytes)) {
      this.sent.push({ frame, to });
      if (frame.type === FrameType.VALIDATE) {
        const key = peerKey(to);
        if (!this.tokens.has(key)) this.tokens.set(key, new Set());
        this.tokens.get(key)!.add(hex(frame.body));
      }
    }
    this.inner.send(bytes, to);
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  /** Frames of `type` the server sent (to `to`, if given). */
  sentOf(type: number, to?: PeerAddress): Frame[] {
    const out: Frame[] = [];
    for (const s of this.sent) {
      if (s.frame.type === type && (to === undefined || peerKey(s.to) === peerKey(to))) out.push(s.frame);
    }
    return out;
  }
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('hex');
}

