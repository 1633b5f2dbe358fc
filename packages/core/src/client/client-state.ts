import { DEFAULT_MAX_METADATA_BYTES } from '../wire/metadata.js';
import { countDrop, type DropCounts, type DropReason } from '../wire/drop-reason.js';
import { FrameType } from '../wire/frame-header.js';
import { encodeFrame } from '../wire/frame.js';
import { MessageIds, randomSession } from '../wire/message-ids.js';
import { defaultReassemblyLimits } from '../recovery/reassembly-limits.js';
import { defaultRetryBudget, defaultRetryPolicy, defaultSizes, type RetryPolicy } from '../recovery/retry-policy.js';
import { RetryBudget } from '../flowcontrol/retry-budget.js';
import { defaultFlowLimits, type FlowLimits } from '../flowcontrol/peer-state.js';
import { TimerHeap } from '../timer/timer-heap.js';
import type { PeerAddress } from '../transport/transport.js';
import type { ClientEngineHooks, ClientEngineOptions } from './client-engine-options.js';
import { checkClientEngineOptions } from './client-options-check.js';
import { newClientCounters, type ClientCounters } from './client-engine-stats.js';
import type { PendingCall } from './pending-call.js';
import { PeerTable } from './peer-table.js';
import { ReplyReceiver } from './reply-receiver.js';
import { RequestSender } from './request-transfer.js';
import { PathMtuTable } from '../pmtu/path-mtu-table.js';

/**
 * Everything one client engine keeps, shared by the modules that make up the
 * engine (transmission, call lifecycle, early loss, replies): its calls and
 * their one timer heap, the peers, the retry budget and policy, the counters.
 * Internal: the public face is `ClientEngine`.
 */
export class ClientState {
  /** The session new calls go in; a server that says it is stale makes the client draw another (protocol.md §6.3). */
  session: number;
  readonly pending = new Map<number, PendingCall>();
  /** Every call's one timer (retransmission, loss time, pause end, deadline). */
  readonly timers = new TimerHeap<PendingCall>();
  readonly ids: MessageIds;
  readonly peers: PeerTable<PendingCall>;
  readonly flow: FlowLimits;
  readonly policy: RetryPolicy;
  readonly budget: RetryBudget;
  readonly random: () => number;
  readonly send: (bytes: Uint8Array, to: PeerAddress) => void;
  readonly hooks: ClientEngineHooks;
  readonly maxDatagramBytes: number;
  readonly maxMessageBytes: number;
  /** Codec id of every request's payload (protocol.md §5.7). */
  readonly codec: number;
  /** Largest reply metadata block accepted (protocol.md §5.8). */
  readonly maxMetadataBytes: number;
  /** Replies in fragments: their reassembly and acknowledgements. */
  readonly replies: ReplyReceiver;
  /** Requests in fragments: their windows, retransmission rounds and loss/probe timers. */
  readonly requests: RequestSender;
  /** Path MTU discovery toward each server (protocol.md §7.5), when on. */
  readonly pmtu: PathMtuTable | undefined;
  readonly counters: ClientCounters = newClientCounters();
  readonly drops: DropCounts = {};
  /** The `now` of the latest call into the engine. */
  lastNow = 0;
  /** Oldest id that may still be in flight; every id before it is finished. */
  private oldestId: number;
  /** Set by cancelAll: queued calls are failed, not started. */
  closing = false;
  /** Calls an answer made suspect of loss (reused: the reply path allocates nothing). */
  readonly suspects: PendingCall[] = [];

  constructor(options: ClientEngineOptions) {
    checkClientEngineOptions(options);
    this.random = options.random ?? Math.random;
    this.session = randomSession(this.random);
    this.ids = new MessageIds(this.random);
    this.oldestId = this.ids.peek();
    this.policy = { ...defaultRetryPolicy, ...options.retry };
    this.budget = new RetryBudget({ ...defaultRetryBudget, ...options.retryBudget });
    this.send = options.send;
    this.hooks = options.hooks ?? {};
    this.peers = new PeerTable(this.policy, options.maxPeers ?? 4096);
    this.flow = { ...defaultFlowLimits, ...options.flow };
    this.maxDatagramBytes = options.maxDatagramBytes ?? defaultSizes.maxDatagramBytes;
    this.maxMessageBytes = options.maxMessageBytes ?? defaultReassemblyLimits.maxMessageBytes;
    this.codec = options.codec ?? 0;
    this.maxMetadataBytes = options.maxMetadataBytes ?? DEFAULT_MAX_METADATA_BYTES;
    this.replies = new ReplyReceiver(this.send, this.maxDatagramBytes, this.maxMessageBytes);
    this.pmtu =
      options.pmtu === undefined
        ? undefined
        : new PathMtuTable(this.send, this.maxDatagramBytes, options.pmtu, () => this.session, (to) => this.peers.get(to)?.rtt.rtoMs ?? this.policy.initialRtoMs);
    this.requests = new RequestSender(this.send, this.maxDatagramBytes, this.maxMessageBytes, this.codec, this.pmtu, options.sendv);
  }

  readonly isPending = (id: number): boolean => this.pending.has(id);

  /**
   * How far back from `id` the oldest call still in flight is (protocol.md
   * §6.3): the server forgets every call before it. Ids are allocated in
   * order, so the oldest only moves forward, past ids no longer pending.
   */
  spanFor(id: number): number {
    const next = this.ids.peek();
    while (this.oldestId !== next && !this.pending.has(this.oldestId)) this.oldestId = (this.oldestId + 1) >>> 0;
    return (id - this.oldestId) >>> 0;
  }

  // Calls in flight keep their session; only new calls use the new one.
  renewSession(): void {
    const old = this.session;
    const drawn = randomSession(this.random);
    // One draw, not a loop: a random source that repeats itself must not hang the engine.
    this.session = drawn !== old ? drawn : (old % 0xffff_ffff) + 1;
    this.counters.sessionsRenewed++;
  }

  /** Tells the server, best effort, that nobody waits for `call` any more. */
  sendCancel(call: PendingCall): void {
    if (call.attempt === 0) return;
    const header = { type: FrameType.CANCEL, flags: 0, attempt: call.attempt - 1, session: call.session, id: call.id };
    this.send(encodeFrame(header, new Uint8Array(0)), call.peer);
  }

  drop(reason: DropReason, from: PeerAddress): void {
    countDrop(this.drops, reason);
    this.hooks.onDrop?.(reason, from);
  }
}
