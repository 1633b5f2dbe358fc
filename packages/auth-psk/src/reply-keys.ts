// "Reply in kind" (security.md §3.2): a reply goes back sealed with the key
// its request came with, or in plaintext if the request was plaintext (only
// possible with allowPlaintext). Keyed by (peer, session), where the session
// is the client's random u32 at bytes 6–9 of every udprpc frame
// (protocol.md §3.1, §6.1). Frames inside a BATCH (protocol.md §3.4) are
// looked at one by one.
import { type PeerAddress } from '@udprpc/core';
import { FrameType, HEADER_BYTES, MAGIC, splitBatch, VERSION } from '@udprpc/core/wire';
import { peerKey } from '@udprpc/core/engine';
import { LruMap } from './lru.js';

/** Marks a (peer, session) whose requests arrived in plaintext. */
export const PLAINTEXT = Symbol('plaintext');

/** A sealed client: the key its requests came with, and the server name they were bound to (security.md §5.6). */
export interface SealedClient {
  readonly keyId: string;
  readonly server: string;
}

/** How to send one datagram: in kind to a sealed client, plaintext, or (undefined) with the transport's send key. */
export type ReplyChoice = SealedClient | typeof PLAINTEXT | undefined;

const MAGIC_0 = MAGIC >> 8;
const MAGIC_1 = MAGIC & 0xff;

// Frames only a client sends. They start or steer a call, so they always use
// the sender's own send key, and only they tell a server how a client talks.
// Every other frame (replies, FRAGMENT_ACK, types added later) goes in kind.
const CLIENT_FRAMES: ReadonlySet<number> = new Set([FrameType.REQUEST, FrameType.CANCEL, FrameType.PING, FrameType.VALIDATE_ECHO]);

/** The frames in a datagram: itself, or a batch's entries; none if it is not a udprpc v1 frame. */
function framesOf(bytes: Uint8Array): Uint8Array[] {
  if (bytes.length < HEADER_BYTES || bytes[0] !== MAGIC_0 || bytes[1] !== MAGIC_1 || bytes[2] !== VERSION) return [];
  if (bytes[3] !== FrameType.BATCH) return [bytes];
  const entries = splitBatch(bytes.subarray(HEADER_BYTES));
  return entries.ok ? entries.value : [];
}

/** Whether a datagram carries frames only a client sends (it is a request, not a reply). */
export function carriesClientFrames(datagram: Uint8Array): boolean {
  return framesOf(datagram).some((frame) => CLIENT_FRAMES.has(frame[3]!));
}

function sessionKey(peer: PeerAddress, frame: Uint8Array): string {
  const session = ((frame[6]! << 24) | (frame[7]! << 16) | (frame[8]! << 8) | frame[9]!) >>> 0;
  return `${peerKey(peer)}|${session}`;
}

/**
 * Remembers, per (peer, session), how that client's requests arrive, for at
 * most `capacity` clients of each kind (least recently heard forgotten
 * first). Sealed and plaintext clients are kept apart and sealed wins: a
 * spoofed plaintext frame can neither downgrade replies to a sealed client
 * nor, by flooding, push sealed clients out of the table.
 *
 * @internal
 */
export class ReplyKeys {
  private readonly sealed: LruMap<string, SealedClient>;
  private readonly plaintext: LruMap<string, true>;

  constructor(capacity: number) {
    this.sealed = new LruMap(capacity);
    this.plaintext = new LruMap(capacity);
  }

  /** Clients remembered. */
  get size(): number {
    return this.sealed.size + this.plaintext.size;
  }

  /**
   * Notes how a received datagram arrived: sealed (its key and the server
   * name it was bound to), or plaintext (`undefined`). Only client frames
   * are noted, and plaintext only once the transport chose to accept it.
   */
  noteReceived(datagram: Uint8Array, from: PeerAddress, sealed: SealedClient | undefined): void {
    for (const frame of framesOf(datagram)) {
      if (!CLIENT_FRAMES.has(frame[3]!)) continue;
      const key = sessionKey(from, frame);
      if (sealed === undefined) this.plaintext.set(key, true);
      else this.sealed.set(key, sealed);
    }
  }

  /** How to send `datagram` to `to`: in kind if it answers a remembered client, else `undefined`. */
  choose(datagram: Uint8Array, to: PeerAddress): ReplyChoice {
    for (const frame of framesOf(datagram)) {
      if (CLIENT_FRAMES.has(frame[3]!)) continue;
      const key = sessionKey(to, frame);
      return this.sealed.get(key) ?? (this.plaintext.get(key) === true ? PLAINTEXT : undefined);
    }
    return undefined;
  }

  /** Forgets everything. */
  clear(): void {
    this.sealed.clear();
    this.plaintext.clear();
  }
}
