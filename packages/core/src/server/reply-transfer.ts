import { EntryIndex, type CallEntry } from './call-entry.js';
import type { FrameHeader, FrameType } from '../wire/frame-header.js';
import { TimedTransfer, TransferTimers } from '../recovery/timed-transfer.js';
import type { RttEstimator } from '../recovery/rtt-estimator.js';
import type { MessageBody } from '../recovery/message-body.js';

export { INITIAL_PTO_MS, MAX_PROBES, MAX_PTO_MS } from '../recovery/timed-transfer.js';

/**
 * A server's reply in fragments (protocol.md §7.3 "Reply timers"): a
 * {@link TimedTransfer}, so a lost tail is recovered by the server's own loss
 * and probe timer rather than the client's retransmission timer. Its timer
 * runs while the reply's entry holds it and is indexed (not expired, evicted
 * or released), and never past the call's deadline. The engine also skips it
 * while anti-amplification would block the send.
 */
export class ReplyTransfer extends TimedTransfer {
  /** Resends a client's retransmission asked for since the last progress (black-hole detection, protocol.md §7.5). */
  stalls = 0;

  constructor(
    readonly entry: CallEntry,
    type: FrameType,
    body: Uint8Array | MessageBody,
    readonly fragmentBytes: number,
    timers: ReplyTimers,
    /** The client address's estimator (source-table.ts `rttOf`): every reply to it samples and reads the same one. */
    rtt: RttEstimator,
    /**
     * The highest attempt received when this transfer started: a client's
     * FRAGMENT_ACK echoing an older one answers an earlier transfer of the
     * reply, in fragments of another size, and is ignored (protocol.md §7.5).
     */
    readonly firstAttempt = 0,
    /** Flags every fragment carries besides FRAGMENT and ACK_REQUESTED: HAS_METADATA or 0. */
    readonly flags = 0,
  ) {
    super(type, body, fragmentBytes, timers, rtt);
  }

  // Every fragment of a reply with metadata carries HAS_METADATA (protocol.md §5.8).
  override frame(header: FrameHeader, index: number, ackRequested: boolean): Uint8Array {
    return super.frame(this.withFlags(header), index, ackRequested);
  }

  override frameChunks(header: FrameHeader, index: number, ackRequested: boolean): Uint8Array[] {
    return super.frameChunks(this.withFlags(header), index, ackRequested);
  }

  private withFlags(header: FrameHeader): FrameHeader {
    return this.flags === 0 ? header : { ...header, flags: header.flags | this.flags };
  }

  liveUntil(): number | undefined {
    const entry = this.entry;
    return entry.transfer === this && entry.indexed !== EntryIndex.None ? entry.deadlineAt : undefined;
  }
}

/** The timers of all reply transfers of one server engine (one heap; the engine arms one real timer). */
export class ReplyTimers extends TransferTimers<ReplyTransfer> {}
