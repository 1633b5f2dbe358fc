import { EventEmitter } from 'node:events';
import {
  defaultRetryPolicy,
  jsonCodec,
  RpcError,
  systemClock,
  type Clock,
  type Codec,
  type Contract,
  type MetadataValue,
  type PeerAddress,
  type Transport,
  type TimerHandle,
  type HealthStatus,
} from '@udprpc/core';
import { DEFAULT_MAX_METADATA_BYTES, encodeMethodName, MAX_METHOD_BYTES } from '@udprpc/core/wire';
import {
  asyncDisposeSymbol,
  ClientEngine,
  defaultCallPolicy,
  checkCodec,
  defaultDatagramBytes,
  pathMtuOption,
  sendVia,
  EngineHost,
  type ClientEngineStats,
  MethodStatsTable,
  type MethodRecord,
  countedSender,
  zeroTransportCounters,
  type MethodStats,
  type TransportCounters,
  type TypedEventEmitter,
  type FlushableSend,
  type PeerRtt,
  type TimedEngine,
} from '@udprpc/core/engine';
import { encodeInput } from './codec-outcome.js';
import {
  clientCallChannel,
  latencyHistogram,
  logLifecycle,
  observeDrop,
  observePushback,
  observeRetransmit,
  traceCall,
  type ClientCallMessage,
} from './diagnostics.js';
import type { WeightedPeer } from './balancer.js';
import type { EndpointSnapshot } from './endpoint-set.js';
import type { ClientOptions } from './client-options.js';
import type { ClientEvents } from './events.js';
import { startGroupCall, type GroupCallContext } from './group-call.js';
import type { GroupCallOptions, GroupMethod, GroupReply, GroupStub } from './group.js';
import { composeClientInterceptors, type ClientNext, type ClientRequest } from './interceptor.js';
import { Router, type RoutingStats } from './router.js';
import { resolveRoutingPolicy } from './routing-policy.js';
import { RoutingTimers } from './routing-timers.js';
import type { CallOptions, Stub, StubMethod } from './stub.js';
import { directKey, replyMetadataKey, routeKey, RoutedSender, statsKey, traceKey, wireKey, type Reservation } from './routed-sender.js';
import { healthStatusOf, type HealthCheckOptions } from './health-check.js';
import { checkedGroupCall, schemaChecked } from './validated-call.js';
import { checkClientOptions, checkPeerList, invalidAsRpcError } from './options-check.js';

/** Counters of a client: the engine's, plus multi-endpoint routing (zeros for a single peer). */
export type ClientStats = ClientEngineStats & {
  /** Multi-endpoint routing counters (zeros for a single peer). */
  routing: RoutingStats;
  /** What the client handed to and got from its transport (docs/observability.md). */
  transport: TransportCounters;
  /**
   * Per `service.method`: calls that ended, errors by code and latency
   * percentiles in ms, from handing the call to the engine to its outcome
   * (interceptors and payload decoding not included). Only methods with an ended call.
   */
  methods: Record<string, MethodStats>;
};

interface MethodInfo {
  readonly service: string;
  readonly method: string;
  readonly wire: Uint8Array;
  readonly idempotent: boolean;
  readonly stats: MethodRecord;
}

type ClientEmitter = new () => TypedEventEmitter<ClientEvents>;

const noRouting: RoutingStats = Object.freeze({ failovers: 0, hedges: 0, hedgesWon: 0, hedgesDenied: 0, ejections: 0, goAways: 0, drainReroutes: 0 });

/**
 * A udprpc client for one server, or for several servers offering the same
 * service (`peers`). Get a typed stub with {@link Client.stub}.
 */
export class Client extends (EventEmitter as unknown as ClientEmitter) {
  private readonly engine: ClientEngine;
  private readonly send: FlushableSend;
  /** Owns the engine: every engine call goes through it, and it alone re-arms the engine's timer. */
  private readonly host: EngineHost;
  /** The engine's events, raised inside an engine call, emitted by the host after it (never inside it). */
  private readonly events: (() => void)[] = [];
  /** Timers of the layers above the engine, served by the same driver (one real timer). */
  private readonly timers: RoutingTimers;
  private readonly transport: Transport;
  private readonly codec: Codec;
  private readonly clock: Clock;
  private readonly defaultTimeoutMs: number;
  private readonly invoke: ClientNext;
  private readonly methods = new Map<string, MethodInfo>();
  private readonly router: Router | undefined;
  private readonly sender: RoutedSender;
  private peer: PeerAddress | undefined;
  private started = false;
  private peersSet = false;
  private ready: Promise<void> | undefined;
  private listening: Promise<PeerAddress> | undefined;
  private closed = false;
  /** Whether the transport currently keeps the process alive (a fresh socket does). */
  private holding = true;
  private readonly methodStats = new MethodStatsTable(latencyHistogram);
  private readonly io = zeroTransportCounters();

  constructor(private readonly options: ClientOptions) {
    super();
    checkClientOptions(options);
    const policy = resolveRoutingPolicy(options);
    this.transport = options.transport;
    this.codec = checkCodec(options.codec ?? jsonCodec);
    this.clock = options.clock ?? systemClock;
    this.defaultTimeoutMs = options.timeoutMs ?? defaultCallPolicy.timeoutMs;
    const random = options.random ?? Math.random;
    const io = this.io;
    const counted = countedSender(options.transport, io);
    this.engine = new ClientEngine({
      send: this.send = sendVia(counted, options.coalesce ?? true, options.maxDatagramBytes ?? defaultDatagramBytes(options.transport)),
      sendv: this.send.sendv,
      random,
      ...(options.retry === undefined ? {} : { retry: options.retry }),
      ...(options.retryBudget === undefined ? {} : { retryBudget: options.retryBudget }),
      ...(options.maxMessageBytes === undefined ? {} : { maxMessageBytes: options.maxMessageBytes }),
      ...(options.maxMetadataBytes === undefined ? {} : { maxMetadataBytes: options.maxMetadataBytes }),
      ...(options.flow === undefined ? {} : { flow: options.flow }),
      maxDatagramBytes: options.maxDatagramBytes ?? defaultDatagramBytes(options.transport),
      ...withPathMtu(options.transport, options),
      codec: this.codec.id,
      // Listeners and tracing subscribers are user code: they run after the
      // engine call (see `events`), so one that starts a call cannot re-enter it.
      hooks: {
        onRetry: (info) => {
          this.router?.onRetransmit(info.peer, this.clock.now());
          this.events.push(() => {
            observeRetransmit(info);
            this.emit('retry', info);
          });
        },
        onTimeout: (info) => {
          this.events.push(() => this.emit('timeout', info));
        },
        onDrop: (reason, from) => {
          io.drops++;
          this.events.push(() => {
            observeDrop(reason, from);
            this.emit('drop', reason, from);
          });
        },
        onPushback: (info) => {
          this.events.push(() => observePushback(info));
        },
        onGoAway: (info) => {
          // The router is the client's own: it hears at once; the event is user code, emitted after the engine call.
          this.router?.onGoAway(info.peer, info.drainMs, this.clock.now());
          this.events.push(() => this.emit('goaway', info));
        },
        // The engine tells the router of the ACKs it accepted; the router parses no datagram itself.
        // (The router is the client's own, not user code: it hears them at once.)
        onAck: (info) => this.router?.onAcked(info.id, this.clock.now()),
      },
    });
    // The driver asks for the next deadline after every engine call: that is
    // where the socket learns whether work is outstanding (see holdProcess).
    // Only the engine's timers hold the process: the routing heap's exist
    // while calls do, or are background work (re-resolution).
    const engine = this.engine;
    const timers = (this.timers = new RoutingTimers(() => this.clock.now(), () => this.host.settle()));
    const timed: TimedEngine = {
      onTimer: (now) => {
        engine.onTimer(now);
        timers.onTimer(now);
      },
      nextTimerAt: () => {
        const next = engine.nextTimerAt();
        if ((next !== undefined) !== this.holding) this.holdProcess(next !== undefined);
        const other = timers.nextTimerAt();
        return next === undefined || (other !== undefined && other < next) ? other : next;
      },
    };
    this.host = new EngineHost(timed, this.clock, { deliver: () => this.emitEvents(), onError: (e) => this.reportError(e) });
    if (options.peers !== undefined) {
      const retry = { ...defaultRetryPolicy, ...options.retry };
      this.router = new Router(this.engine, this.clock, timers, random, policy, retry, {
        onFailover: (info) => this.emit('failover', info),
        onHedge: (info) => this.emit('hedge', info),
        onHealth: (info) => this.emit('health', info),
      }, () => this.host.settle(), this.send);
    }
    this.sender = new RoutedSender(this.engine, this.clock, this.codec, this.host, this.router, this.methodStats, options.maxMetadataBytes ?? DEFAULT_MAX_METADATA_BYTES);
    const interceptors = options.interceptors ?? [];
    const onion = composeClientInterceptors(interceptors, (req) => this.sender.send(req));
    // The innermost step fails only with RpcErrors; what an interceptor throws
    // or rejects with is wrapped, so every failure a caller sees is one.
    this.invoke = interceptors.length === 0 ? onion : (req) => guardInterceptors(onion, req);
  }

  /** Binds the transport and resolves the server address(es); calls do this on their own. */
  connect(): Promise<void> {
    // A failed attempt (bind error, DNS failure) is not cached: the next call tries again.
    this.ready ??= this.start().catch((error: unknown) => {
      this.ready = undefined;
      throw RpcError.from(error, 'UNAVAILABLE');
    });
    return this.ready;
  }

  /** A typed stub for `contract`: one async function per method. */
  stub<C extends Contract>(contract: C): Stub<C> {
    const stub: Record<string, StubMethod<unknown, unknown>> = {};
    for (const [name, def] of Object.entries(contract.methods)) {
      const info = this.methodInfo(contract.name, name, def.idempotent);
      const { call, notify } = schemaChecked(
        `${contract.name}.${name}`,
        this.options.validate === false ? undefined : def.input,
        this.options.validateOutput === true ? def.output : undefined,
        (input?: unknown, options?: CallOptions) => this.callMethod(info, input, options),
        (input?: unknown) => this.notifyMethod(info, input),
      );
      stub[name] = Object.assign(call, { notify });
    }
    return Object.freeze(stub) as Stub<C>;
  }

  /**
   * A typed stub whose calls go to every server listening on the client's
   * address — a multicast group or a broadcast address — and yield each
   * server's reply as it arrives, until `collectMs` or `maxReplies`.
   * Group requests and replies must each fit in one datagram. A
   * multi-endpoint client sends group calls to the first endpoint of its list.
   */
  group<C extends Contract>(contract: C): GroupStub<C> {
    const stub: Record<string, GroupMethod<unknown, unknown>> = {};
    for (const [name, def] of Object.entries(contract.methods)) {
      const info = this.methodInfo(contract.name, name, def.idempotent);
      const schema = this.options.validate === false ? undefined : def.input;
      stub[name] =
        schema === undefined
          ? (input?: unknown, options?: GroupCallOptions) => startGroupCall(this.groupContext, info.wire, input, options)
          : (input?: unknown, options?: GroupCallOptions) =>
              checkedGroupCall(schema, `the argument of ${contract.name}.${name}`, input, () =>
                startGroupCall(this.groupContext, info.wire, input, options),
              );
    }
    return Object.freeze(stub) as GroupStub<C>;
  }

  /** Calls `service.method` on every server of a group, untyped (for tools such as the CLI). */
  callGroup(service: string, method: string, input: unknown, options?: GroupCallOptions): AsyncIterable<GroupReply<unknown>> {
    return startGroupCall(this.groupContext, this.methodInfo(service, method, false).wire, input, options);
  }

  /** Calls `service.method` by name, untyped (for tools such as the CLI). */
  call(service: string, method: string, input: unknown, options?: CallOptions & { idempotent?: boolean }): Promise<unknown> {
    return this.callMethod(this.methodInfo(service, method, options?.idempotent ?? false), input, options);
  }

  /**
   * Asks the built-in `udprpc.health` (protocol.md §5.7.4) for the status of
   * the server, or of `options.service`: SERVING, NOT_SERVING (set so, or
   * draining) or SERVICE_UNKNOWN. With `options.peer`, asks that address
   * directly, past any routing: a multi-endpoint client's probe of one
   * endpoint. Rejects like any call when there is no answer.
   */
  async health(options: HealthCheckOptions = {}): Promise<HealthStatus> {
    const { service, peer, ...call } = options;
    const input = service === undefined ? {} : { service };
    const info = this.methodInfo('udprpc', 'health', true);
    if (peer === undefined) return healthStatusOf(await this.callMethod(info, input, call));
    const timeoutMs = call.timeoutMs ?? this.defaultTimeoutMs;
    if (!(timeoutMs > 0)) throw new RpcError('INVALID_ARGUMENT', `timeoutMs must be a positive number, got ${timeoutMs}`);
    const deadline = this.clock.now() + timeoutMs;
    if (!this.started) await this.connect();
    if (this.closed) throw new RpcError('CANCELLED', 'client is closed');
    const req = requestOf(info, input, deadline, call, peer) as ClientRequest & { [directKey]?: boolean };
    req[directKey] = true;
    return healthStatusOf(await this.invoke(req));
  }

  /** A snapshot of the counters. */
  stats(): ClientStats {
    return {
      ...this.engine.stats(),
      routing: this.router?.stats() ?? { ...noRouting },
      transport: { ...this.io },
      methods: this.methodStats.snapshot(),
    };
  }

  /** Smoothed RTT and current RTO to the server (the first endpoint of a multi-endpoint client), once measured. */
  timing(): PeerRtt | undefined {
    const peer = this.peer ?? this.router?.endpoints.list[0]?.peer;
    return peer === undefined ? undefined : this.engine.peerTiming(peer);
  }

  /** Multi-endpoint clients: every endpoint with its health and load. Empty for a single-peer client. */
  endpoints(): EndpointSnapshot[] {
    return this.router?.snapshot() ?? [];
  }

  /**
   * Multi-endpoint clients: replaces the endpoint list (e.g. after a DNS
   * lookup). Endpoints that leave it get no new calls; their calls in flight
   * finish. Peers may carry a DNS SRV `priority` and `weight`
   * ({@link WeightedPeer}). Throws FAILED_PRECONDITION on a single-peer
   * client, and a TypeError or RangeError for a bad peer, priority or weight
   * (nothing changes then).
   */
  setPeers(peers: readonly WeightedPeer[]): void {
    if (this.router === undefined) throw new RpcError('FAILED_PRECONDITION', 'setPeers needs a client created with `peers`');
    checkPeerList(peers, 'peers');
    this.peersSet = true;
    this.router.endpoints.update(peers);
  }

  /**
   * Runs `callback` once, `delayMs` from now, on the client's one timer
   * (the heap its engine driver serves), for layers built on the client —
   * endpoint re-resolution, discovery — so they arm no timer of their own.
   * Like the clock's timers it does not keep the process alive; it never
   * fires once the client is closed.
   */
  setTimer(delayMs: number, callback: () => void): TimerHandle {
    return this.timers.setTimer(delayMs, callback);
  }

  /**
   * Closes the client ({@link close}) when an `await using` block ends:
   * `await using client = createClient(...)`.
   */
  async [asyncDisposeSymbol](): Promise<void> {
    await this.close();
  }

  /**
   * Fails every call still in flight with CANCELLED (telling the server),
   * stops timers and closes the transport. Idempotent.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.router !== undefined) this.router.closed = true;
    this.host.enter();
    try {
      this.engine.cancelAll(this.clock.now(), new RpcError('CANCELLED', 'client closed'));
    } finally {
      this.host.leave();
    }
    this.host.close();
    // Frames held for coalescing (CANCELs, last replies) leave before the socket closes.
    this.send.flush();
    await this.transport.close();
    logLifecycle('closed');
    this.emit('close');
  }

  private methodInfo(service: string, method: string, idempotent: boolean): MethodInfo {
    const path = `${service}.${method}`;
    let info = this.methods.get(path);
    if (info === undefined) {
      const wire = encodeMethodName(path);
      if (wire.length > MAX_METHOD_BYTES) {
        throw new RpcError('INVALID_ARGUMENT', `method name ${path.slice(0, 40)}… is ${wire.length} bytes, above ${MAX_METHOD_BYTES}`);
      }
      info = { service, method, wire, idempotent, stats: this.methodStats.of(path) };
      this.methods.set(path, info);
    }
    return info;
  }

  private callMethod(info: MethodInfo, input: unknown, options: CallOptions | undefined): Promise<unknown> {
    // The common case — connected, one server — without an extra async frame.
    const timeoutMs = options?.timeoutMs ?? this.defaultTimeoutMs;
    if (this.started && !this.closed && this.router === undefined && timeoutMs > 0) {
      try {
        const req = requestOf(info, input, this.clock.now() + timeoutMs, options, this.peer!);
        return clientCallChannel.hasSubscribers ? this.traced(req) : this.invoke(req);
      } catch (error) {
        return Promise.reject(error);
      }
    }
    return this.callMethodSlow(info, input, options);
  }

  private async callMethodSlow(info: MethodInfo, input: unknown, options: CallOptions | undefined): Promise<unknown> {
    const timeoutMs = options?.timeoutMs ?? this.defaultTimeoutMs;
    if (!(timeoutMs > 0)) throw new RpcError('INVALID_ARGUMENT', `timeoutMs must be a positive number, got ${timeoutMs}`);
    // The deadline is fixed at entry, so connecting counts against it.
    const deadline = this.clock.now() + timeoutMs;
    if (!this.started) await this.connect();
    if (this.closed) throw new RpcError('CANCELLED', 'client is closed');
    let reservation: Reservation | undefined;
    let peer = this.peer;
    if (this.router !== undefined) {
      // The first attempt's endpoint is chosen (and counted) before the interceptors run, so they see it.
      reservation = this.sender.reserve(info.idempotent);
      peer = reservation.endpoint.peer;
    }
    const req = requestOf(info, input, deadline, options, peer!);
    if (reservation === undefined) return clientCallChannel.hasSubscribers ? this.traced(req) : this.invoke(req);
    (req as ClientRequest & { [routeKey]?: Reservation })[routeKey] = reservation;
    try {
      return await (clientCallChannel.hasSubscribers ? this.traced(req) : this.invoke(req));
    } finally {
      this.sender.giveBack(reservation);
    }
  }

  /** Runs a call under the `udprpc:client:call` tracing channel (only when it has subscribers). */
  private traced(req: ClientRequest): Promise<unknown> {
    // A copy subscribers may add keys to during `start` (trace context): the
    // request's metadata is encoded after that, so their keys are sent.
    const metadata: Record<string, MetadataValue> = { ...req.metadata };
    req.metadata = metadata;
    const message: ClientCallMessage = { service: req.service, method: req.method, peer: req.peer, attempts: 0, ids: [], metadata };
    (req as ClientRequest & { [traceKey]: ClientCallMessage | undefined })[traceKey] = message;
    return traceCall(message, () => this.invoke(req));
  }

  private async notifyMethod(info: MethodInfo, input: unknown): Promise<void> {
    if (!this.started) await this.connect();
    if (this.closed) throw new RpcError('CANCELLED', 'client is closed');
    const now = this.clock.now();
    const peer = this.router === undefined ? this.peer! : this.sender.notifyTarget(now);
    const payload = encodeInput(this.codec, input);
    let error: RpcError | undefined;
    this.host.enter();
    try {
      error = this.engine.notify({ peer, method: info.wire, payload, deadlineAt: now + this.defaultTimeoutMs }, now);
    } finally {
      this.host.leave();
    }
    if (error !== undefined) throw error;
  }

  private get groupContext(): GroupCallContext {
    return { engine: this.engine, clock: this.clock, codec: this.codec, host: this.host, target: () => this.groupTarget() };
  }

  private async groupTarget(): Promise<PeerAddress> {
    if (!this.started) await this.connect();
    if (this.closed) throw new RpcError('CANCELLED', 'client is closed');
    const peer = this.peer ?? this.router?.endpoints.list[0]?.peer;
    if (peer === undefined) throw new RpcError('UNAVAILABLE', 'the client has no endpoints');
    return peer;
  }

  private async start(): Promise<void> {
    // Bound once: a later connect (after a failed discovery) reuses the socket.
    const listening = (this.listening ??= this.transport
      .listen(
        (bytes, from) => {
          this.io.datagramsIn++;
          this.io.bytesIn += bytes.length;
          const now = this.clock.now();
          this.host.enter();
          try {
            this.router?.onDatagram(from, now);
            this.engine.receive(bytes, from, now);
          } finally {
            this.host.leave();
          }
        },
        (error) => this.reportError(error),
        (peer) => {
          this.host.enter();
          try {
            const now = this.clock.now();
            this.router?.onUnreachable(peer, now);
            this.engine.unreachable(peer, now);
          } finally {
            this.host.leave();
          }
        },
      )
      .catch((error: unknown) => {
        this.listening = undefined;
        throw error;
      }));
    if (this.router !== undefined) {
      const source = this.options.peers!;
      const [peers] = await Promise.all([typeof source === 'function' ? source() : source, listening]);
      // A list that came later is checked now: its mistakes fail the call that waited for it, as an RpcError.
      if (!this.peersSet) {
        invalidAsRpcError(() => {
          checkPeerList(peers, 'options.peers');
          this.router!.endpoints.update(peers);
        });
      }
    } else {
      const source = this.options.peer!;
      const [peer] = await Promise.all([typeof source === 'function' ? source() : source, listening]);
      this.peer = peer;
    }
    this.started = true;
    logLifecycle('listening on', await listening);
    this.holdProcess(this.engine.nextTimerAt() !== undefined);
  }

  /**
   * An idle client must not keep the process alive (a forgotten client would
   * otherwise hold it open for ever), but a call in flight must: its promise
   * alone does not, and the clock's timers are unref'd. Every call, transfer
   * and group call has a timer in the engine's heap until it ends, so
   * "the engine has a timer" is exactly "work is outstanding".
   */
  private holdProcess(hold: boolean): void {
    this.holding = hold;
    this.transport.setRef?.(hold);
  }

  private reportError(error: unknown): void {
    if (this.listenerCount('error') > 0) this.emit('error', RpcError.from(error, 'UNAVAILABLE'));
  }

  // The host's delivery step: the events the engine raised, in order. A
  // listener that calls the client adds its engine call to this settle.
  private emitEvents(): void {
    const events = this.events;
    let done = 0;
    try {
      while (done < events.length) events[done++]!();
    } finally {
      // A throwing listener ends this delivery; what it did not reach stays for the next.
      events.splice(0, done);
    }
  }
}

/**
 * Runs the interceptor onion, turning anything but an RpcError that it throws
 * or rejects with into an RpcError INTERNAL with the original as `cause` (as
 * the server does for a handler that throws a plain Error).
 */
function guardInterceptors(onion: ClientNext, req: ClientRequest): Promise<unknown> {
  let result: Promise<unknown>;
  try {
    result = Promise.resolve(onion(req));
  } catch (error) {
    return Promise.reject(RpcError.from(error));
  }
  return result.catch((error: unknown) => {
    throw RpcError.from(error);
  });
}

/**
 * Creates a client for one server (`peer`) or several (`peers`).
 *
 * @throws TypeError for an option of the wrong type or shape (both or
 * neither of `peer` and `peers`, a non-function where a function is
 * expected, an unknown `balancer`, …), and RangeError for an option of the
 * right type out of its range (a negative `timeoutMs`, `retry.maxAttempts`
 * 0, NaN, a fraction where an integer is needed, …), at once; the message
 * names the option. A call's own failures are RpcErrors, never these. A
 * `peers` list given as a promise or function is checked when it arrives:
 * then the calls waiting for it fail with RpcError INVALID_ARGUMENT.
 */
export function createClient(options: ClientOptions): Client {
  return new Client(options);
}

/**
 * The request object the interceptors see. The method's wire name rides on it
 * (`wireKey`) so the last step needs no lookup; it is set in the literal, not
 * added afterwards, so every request has one shape and no extra property
 * store is allocated per call.
 */
function requestOf(info: MethodInfo, input: unknown, deadline: number, options: CallOptions | undefined, peer: PeerAddress): ClientRequest {
  return {
    service: info.service,
    method: info.method,
    input,
    deadline,
    signal: options?.signal,
    peer,
    idempotent: info.idempotent,
    metadata: options?.metadata,
    [wireKey]: info.wire,
    [statsKey]: info.stats,
    [traceKey]: undefined,
    [replyMetadataKey]: options?.onReplyMetadata,
  } as ClientRequest;
}

// Path MTU discovery (protocol.md §7.5) unless `maxDatagramBytes` is fixed or it is turned off.
function withPathMtu(transport: Transport, options: { maxDatagramBytes?: number | undefined; pathMtuDiscovery?: boolean | undefined }) {
  const pmtu = pathMtuOption(transport, options);
  return pmtu === undefined ? {} : { pmtu };
}
