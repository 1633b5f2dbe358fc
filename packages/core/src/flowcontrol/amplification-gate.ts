import { bytesIO } from '../wire/byte-io.js';
import { FrameType, HEADER_BYTES, type FrameHeader } from '../wire/frame-header.js';
import { encodeFrame, type Frame } from '../wire/frame.js';
import { BATCH_ENTRY_BYTES } from '../wire/batch.js';
import type { EntrySource } from '../server/call-entry.js';
import type { AddressValidator, SourceState, SourceTable } from '../server/source-table.js';
import { datagramLength, joinChunks, type PeerAddress } from '../transport/transport.js';

/**
 * The server's one way out to the network: every datagram it sends passes
 * the anti-amplification limit here (protocol.md §8.2–8.3). Until a source
 * address is validated, the server sends it at most `amplificationFactor` ×
 * what it received from it; a send over the limit is held back, and once per
 * datagram received a VALIDATE challenge goes instead, carrying a token the
 * client echoes to validate its address. A validation holds for the echo's
 * session only, and for the validation lifetime (30 s): a spoofer using the
 * address of a former client gets no more than anyone else.
 */
export class AmplificationGate {
  /** Sends held back by the limit. */
  blocked = 0;
  /** Token round trips that validated a session at its address. */
  validations = 0;
  private readonly send: (bytes: Uint8Array, to: PeerAddress) => void;
  private readonly sendv: ((chunks: readonly Uint8Array[], to: PeerAddress) => void) | undefined;
  /** Whether chunks given to {@link transmit} leave unjoined (the host gave a `sendv`). */
  readonly sendsChunks: boolean;
  private readonly sources: SourceTable;
  private readonly validator: AddressValidator | undefined;
  private readonly amplificationFactor: number;
  /** What a timer-driven fragment may cost at most, framing included. */
  private readonly probeCost: number;

  constructor(
    send: (bytes: Uint8Array, to: PeerAddress) => void,
    sources: SourceTable,
    /** Without one, anti-amplification is off (and `amplificationFactor` Infinity). */
    validator: AddressValidator | undefined,
    amplificationFactor: number,
    maxDatagramBytes: number,
    /** Sends a datagram given as chunks, unjoined; without it, {@link transmitChunks} joins them for `send`. */
    sendv?: (chunks: readonly Uint8Array[], to: PeerAddress) => void,
  ) {
    this.send = send;
    this.sendv = sendv;
    this.sendsChunks = sendv !== undefined;
    this.sources = sources;
    this.validator = validator;
    this.amplificationFactor = amplificationFactor;
    this.probeCost = maxDatagramBytes + HEADER_BYTES + BATCH_ENTRY_BYTES;
  }

  /**
   * Sends `bytes` to `to` (whose state is `from`: the datagram's source, or
   * a call's) if the limit allows, else counts it blocked and may send a
   * challenge instead. `about` names the call the datagram is about; the
   * challenge echoes its session and id. Returns whether `bytes` went out: a
   * reply held back must be kept until the address validates (§8.2).
   * `bytes` may be chunks of one datagram (a fragment's head and body).
   */
  transmit(bytes: Uint8Array | readonly Uint8Array[], to: PeerAddress, from: EntrySource, now: number, about: FrameHeader): boolean {
    const source = this.sources.current(from, now);
    if (this.sources.allowSend(source, about.session, datagramLength(bytes), now)) {
      if (bytes instanceof Uint8Array) this.send(bytes, to);
      else if (this.sendv !== undefined) this.sendv(bytes, to);
      else this.send(joinChunks(bytes), to);
      return true;
    }
    this.blocked++;
    // One challenge per datagram received, so a request never earns several.
    if (this.validator === undefined || !source.mayChallenge) return false;
    source.mayChallenge = false;
    const header: FrameHeader = { type: FrameType.VALIDATE, flags: 0, attempt: about.attempt, session: about.session, id: about.id };
    const challenge = encodeFrame(header, this.validator.mint(source.key, now));
    if (this.sources.allowSend(source, about.session, challenge.length, now)) this.send(challenge, to);
    return false;
  }

  /**
   * Sends a frame the server sends on its own (a GOAWAY, protocol.md §5.9)
   * if the limit allows; never a challenge in its place. Returns whether it went.
   */
  transmitUnprompted(bytes: Uint8Array, to: PeerAddress, source: SourceState, session: number, now: number): boolean {
    if (this.sources.allowSend(source, session, bytes.length, now)) {
      this.send(bytes, to);
      return true;
    }
    this.blocked++;
    return false;
  }

  /**
   * Whether a timer-driven fragment to the source `from` would pass
   * {@link transmit}. The reply timers ask first and skip the probe
   * otherwise (RFC 9002 §6.2.2.1): the client's next datagram re-arms it.
   */
  mayProbe(from: EntrySource, session: number, now: number): boolean {
    const source = this.sources.current(from, now);
    return (
      this.sources.isValidated(source, session, now) ||
      this.amplificationFactor === Infinity ||
      source.bytesOut + this.probeCost <= this.amplificationFactor * source.bytesIn
    );
  }

  /**
   * Credits a datagram received from `source` to its 3× account, unless it
   * belongs to the validated session (`frame`: its first frame, or why it
   * did not parse; for a BATCH, the session of the first frame inside).
   */
  received(source: SourceState, frame: Frame | string, bytes: number, now: number): void {
    let session: number | undefined;
    if (typeof frame !== 'string') {
      // A batch entry is a u16 length, then the frame: its session is at entry offset 2 + 6.
      if (frame.type !== FrameType.BATCH) session = frame.session;
      else if (frame.body.length >= BATCH_ENTRY_BYTES + HEADER_BYTES) session = bytesIO.readU32(frame.body, BATCH_ENTRY_BYTES + 6);
    }
    this.sources.received(source, session, bytes, now);
  }

  /** Checks the token of a VALIDATE_ECHO from `source` for `session`; a good one validates that session at that address. */
  validate(token: Uint8Array, source: SourceState, session: number, now: number): boolean {
    if (this.validator === undefined || !this.validator.verify(token, source.key, now)) return false;
    if (!this.sources.isValidated(source, session, now)) this.validations++;
    this.sources.validate(source, session, now);
    return true;
  }
}

