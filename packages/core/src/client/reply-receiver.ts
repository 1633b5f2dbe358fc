import type { PendingCall } from './pending-call.js';
import { RpcError } from '../errors.js';
import { encodeFragmentAck, type FragmentAck } from '../wire/fragment-ack.js';
import { FrameType, HEADER_BYTES } from '../wire/frame-header.js';
import { encodeFrame, type Frame } from '../wire/frame.js';
import { ACK_REQUESTED, STALLED } from '../recovery/outgoing-transfer.js';
import { ReassemblyTable, type FragmentResult } from '../recovery/reassembly-table.js';
import { defaultReassemblyLimits, maxReassemblyCostOf } from '../recovery/reassembly-limits.js';
import type { PeerAddress } from '../transport/transport.js';

/**
 * The replies a client receives in fragments (protocol.md §7.4): their
 * reassembly, within the client's limits, and the FRAGMENT_ACKs that answer
 * them — when §7.4 says to, on completion, and STALLED when the call's timer
 * finds the reply not progressing (§7.3). The client engine decides what a
 * fragment means for its call.
 */
export class ReplyReceiver {
  private readonly table: ReassemblyTable;

  constructor(
    private readonly send: (bytes: Uint8Array, to: PeerAddress) => void,
    private readonly maxDatagramBytes: number,
    /** Largest reply accepted; all partial replies together hold at most max(one such reply, 129 MiB). */
    readonly maxMessageBytes: number,
  ) {
    this.table = new ReassemblyTable({
      ...defaultReassemblyLimits,
      maxMessageBytes,
      maxPeerBytes: Infinity,
      maxPeerMessages: Infinity,
      maxTotalBytes: Math.max(maxReassemblyCostOf(maxMessageBytes), defaultReassemblyLimits.maxTotalBytes),
    });
  }

  /** Offers a fragment of `call`'s reply, and acknowledges it if it should be at once. */
  offer(call: PendingCall, frame: Frame, now: number): FragmentResult {
    const result = this.table.offer(String(call.id), call.peerKey, frame.type, frame.fragment!, frame.body, (frame.flags & ACK_REQUESTED) !== 0, now);
    if (result.status === 'complete') {
      // Tell the server it may drop its copy of the reply.
      this.sendAck(call, frame.attempt, 0, result.reassembly.ack(), 64);
    } else if ((result.status === 'added' || result.status === 'duplicate') && result.ackNow) {
      this.ack(call, frame.attempt, 0);
    }
    return result;
  }

  /** Asks the server for the missing fragments of `call`'s reply (a FRAGMENT_ACK with STALLED). */
  stalled(call: PendingCall, attempt: number): void {
    this.ack(call, attempt, STALLED);
  }

  /** Why a refused fragment ends its call (the handler did run). */
  refusal(result: FragmentResult & { status: 'refused' }): RpcError {
    return new RpcError(
      'RESOURCE_EXHAUSTED',
      result.reason === 'message-too-large'
        ? `reply is ${result.totalBytes} bytes, above the ${this.maxMessageBytes}-byte message limit`
        : `reply of ${result.totalBytes} bytes does not fit in the client's reassembly memory`,
    );
  }

  /** Forgets the partial reply of `call`. */
  discard(call: PendingCall): void {
    this.table.discard(String(call.id));
  }

  private ack(call: PendingCall, attempt: number, flags: number): void {
    const r = this.table.get(String(call.id));
    if (r !== undefined) this.sendAck(call, attempt, flags, r.ack(), this.maxDatagramBytes - HEADER_BYTES);
  }

  private sendAck(call: PendingCall, attempt: number, flags: number, ack: FragmentAck, maxBytes: number): void {
    const header = { type: FrameType.FRAGMENT_ACK, flags, attempt, session: call.session, id: call.id };
    this.send(encodeFrame(header, encodeFragmentAck(ack, maxBytes)), call.peer);
  }
}
