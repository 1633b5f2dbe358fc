import { BATCH_ENTRY_BYTES, encodeFrame, FrameType, HEADER_BYTES, type FrameHeader } from './frame.js';
import type { AddressValidator, SourceTable } from './source-table.js';
import type { PeerAddress } from './transport.js';

/**
 * The server's one way out to the network: every datagram it sends passes
 * the anti-amplification limit here (protocol.md §8.2–8.3). Until a source
 * address is validated, the server sends it at most `amplificationFactor` ×
 * what it received from it; a send over the limit is held back, and once per
 * datagram received a VALIDATE challenge goes instead, carrying a token the
 * client echoes to validate its address for good.
 */
export class AmplificationGate {
  /** Sends held back by the limit. */
  blocked = 0;
  /** Source addresses validated by a token round trip. */
  validations = 0;
  private readonly send: (bytes: Uint8Array, to: PeerAddress) => void;
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
  ) {
    this.send = send;
    this.sources = sources;
    this.validator = validator;
    this.amplificationFactor = amplificationFactor;
    this.probeCost = maxDatagramBytes + HEADER_BYTES + BATCH_ENTRY_BYTES;
  }

  /**
   * Sends `bytes` to `to` (whose key is `pk`) if the limit allows, else
   * counts it blocked and may send a challenge instead. `about` names the
   * call the datagram is about; the challenge echoes its session and id.
   * Returns whether `bytes` went out: a reply held back must be kept until
   * the address validates (§8.2).
   */
  transmit(bytes: Uint8Array, to: PeerAddress, pk: string, now: number, about: FrameHeader): boolean {
    const source = this.sources.get(pk, now);
    if (this.sources.allowSend(source, bytes.length)) {
      this.send(bytes, to);
      return true;
    }
    this.blocked++;
    // One challenge per datagram received, so a request never earns several.
    if (this.validator === undefined || !source.mayChallenge) return false;
    source.mayChallenge = false;
    const header: FrameHeader = { type: FrameType.VALIDATE, flags: 0, attempt: about.attempt, session: about.session, id: about.id };
    const challenge = encodeFrame(header, this.validator.mint(pk, now));
    if (this.sources.allowSend(source, challenge.length)) this.send(challenge, to);
    return false;
  }

  /**
   * Whether a timer-driven fragment to the source `pk` would pass
   * {@link transmit}. The reply timers ask first and skip the probe
   * otherwise (RFC 9002 §6.2.2.1): the client's next datagram re-arms it.
   */
  mayProbe(pk: string, now: number): boolean {
    const source = this.sources.get(pk, now);
    return source.validated || this.amplificationFactor === Infinity || source.bytesOut + this.probeCost <= this.amplificationFactor * source.bytesIn;
  }

  /** Checks the token of a VALIDATE_ECHO from `pk`; a good one validates that source. */
  validate(token: Uint8Array, pk: string, now: number): boolean {
    const source = this.sources.get(pk, now);
    if (this.validator === undefined || !this.validator.verify(token, pk, now)) return false;
    if (!source.validated) this.validations++;
    source.validated = true;
    return true;
  }
}
