import { EventEmitter } from 'node:events';
import {
  jsonCodec,
  Metadata,
  RpcError,
  systemClock,
  type Clock,
  type Codec,
  type Contract,
  type DedupPolicy,
  type PeerAddress,
  type Transport,
} from '@udprpc/core';
import {
  asyncDisposeSymbol,
  checkCodec,
  codecIdName,
  defaultDatagramBytes,
  pathMtuOption,
  sendVia,
  ServerEngine,
  EngineHost,
  type FlushableSend,
  type AdmissionLimits,
  type ReassemblyLimits,
  type SourceLimits,
  type HandlerOutcome,
  type IncomingCall,
  MethodStatsTable,
  type MethodRecord,
  type ServerEngineStats,
  countedSender,
  zeroTransportCounters,
  type MethodStats,
  type TransportCounters,
  type TypedEventEmitter,
} from '@udprpc/core/engine';
import { DEFAULT_MAX_METADATA_BYTES } from '@udprpc/core/wire';
import { createAddressValidator } from './address-validator.js';
import { checkServerOptions } from './options-check.js';
import { abortReasons, LazyCallContext } from './call-context.js';
import type { Handler, Handlers } from './context.js';
import {
  latencyHistogram,
  logLifecycle,
  observeDrop,
  serverCallChannel,
  serverCallMessage,
  ServerCallTracer,
  type ServerCallMessage,
} from './diagnostics.js';
import type { ServerEvents } from './events.js';
import { composeServerInterceptors, type ServerInterceptor, type ServerRequest } from './interceptor.js';
import { describeMethod, type ServiceDescription } from './introspection.js';
import { HealthRegistry } from './health.js';
import { DEFAULT_LINGER_MS, type CloseOptions } from './close-options.js';
import { HandlerFailureWarning, RateLimitedWarnings, type WarningOptions } from './warnings.js';
import { validatedHandler } from './validated-handler.js';

/** Options of {@link createServer}. */
export interface ServerOptions {
  /** The datagram transport to serve on. */
  transport: Transport;
  /** Payload codec; must match the clients'. Default: JSON (the `udprpc` package defaults to msgpack). */
  codec?: Codec;
  /** Time source; inject a virtual clock in tests. */
  clock?: Clock;
  /** Outermost first; they wrap every handler. */
  interceptors?: readonly ServerInterceptor[];
  /**
   * Pack frames bound for the same peer in one job (the handling of one
   * received datagram) into one
   * datagram (protocol.md §3.4). Default true: a lone frame is sent as is, so
   * it costs nothing when there is nothing to pack.
   */
  coalesce?: boolean;
  /**
   * Largest datagram to send (1200 by default). Setting it fixes the size:
   * reply fragments then never follow a client's discovered path size.
   */
  maxDatagramBytes?: number;
  /**
   * Send reply fragments at the path size each client discovered and reported
   * (protocol.md §7.5), up to what the transport may send unfragmented.
   * Default true; off when `maxDatagramBytes` is set. Probes are answered either way.
   */
  pathMtuDiscovery?: boolean;
  /** Duplicate-suppression cache settings. */
  dedup?: Partial<DedupPolicy>;
  /** Handlers running at once, the queue behind them, and the retry-after hint beyond it. */
  admission?: Partial<AdmissionLimits>;
  /** Limits on requests arriving in fragments (size, per peer, total, idle timeout). */
  reassembly?: Partial<ReassemblyLimits>;
  /**
   * Largest metadata block, length field included, that a request may bring
   * or a reply may send (protocol.md §5.8; default 8192). A request with more
   * is refused with RESOURCE_EXHAUSTED before its handler runs; a handler
   * that sets more reply metadata answers RESOURCE_EXHAUSTED instead.
   */
  maxMetadataBytes?: number;
  /** Per-source rate limit and the anti-amplification factor. */
  sources?: Partial<SourceLimits>;
  /**
   * Never send an unvalidated address more than 3× the bytes received from it
   * (protocol.md §8.2). Default true; turn off only behind a trusted network.
   */
  antiAmplification?: boolean;
  /** Answer the built-in `udprpc.describe` method (default true). */
  introspection?: boolean;
  /**
   * For this long after the server starts, a retransmission the server has
   * no record of, from a client that had heard of no incarnation of this
   * server when it started the call, is refused with ABORTED
   * (`RpcError.mayHaveRun`): it may have run before a restart (protocol.md
   * §6.3). Default `dedup.maxDeadlineMs + dedup.graceMs` (about 10 minutes).
   * Set 0 only when no earlier server can have used this address and port.
   */
  startupGraceMs?: number;
  /** Uniform [0, 1) source of the server incarnation (protocol.md §6.3); default `Math.random`. */
  random?: () => number;
  /**
   * Refuse (UNAUTHENTICATED) every request the transport did not
   * authenticate; see `implement(..., { requireAuth })` to do it per contract.
   */
  requireAuth?: boolean;
  /**
   * Handler failures (a throw other than an `RpcError`, a result the codec
   * cannot encode) go to the `error` event if anyone listens, else to a
   * rate-limited process warning (at most 10 a minute by default), so they
   * are never silent. `false` turns the warning off; they are counted either way.
   */
  warnings?: WarningOptions | false;
}

/** Options of {@link Server.implement}. */
export interface ImplementOptions {
  /** Refuse (UNAUTHENTICATED) requests to this contract that the transport did not authenticate. */
  requireAuth?: boolean;
}

/** Counters of a server. */
export type ServerStats = ServerEngineStats & {
  /** Handlers that threw something other than an `RpcError` (the peer got INTERNAL). */
  handlerErrors: number;
  /** Results (or an `RpcError`'s details) the codec could not encode (the peer got INTERNAL, or the error without details). */
  replyEncodeErrors: number;
  /** Handler-failure warnings held back by the rate limit. */
  warningsSuppressed: number;
  /** What the server got from and handed to its transport (docs/observability.md). */
  transport: TransportCounters;
  /**
   * Per implemented `service.method`: calls answered, errors by code and
   * latency percentiles in ms, from the call reaching the server (before
   * decoding its argument) to its reply being handed to the engine. Only
   * methods with an answered call; calls to unknown methods are not
   * broken down (their names come from peers).
   */
  methods: Record<string, MethodStats>;
};

/** What the registry keeps per method; the engine carries it on each call as `target`. */
interface Registered {
  readonly service: string;
  readonly method: string;
  readonly idempotent: boolean;
  readonly requireAuth: boolean;
  /** The handler wrapped in the interceptors; may return a plain value. */
  readonly invoke: (req: ServerRequest) => unknown;
  /** The bare handler when there are no interceptors: called directly, without a request object. */
  readonly direct: Handler<unknown, unknown> | undefined;
  readonly stats: MethodRecord;
}

/** A call as this server's engine hands it out: its target is the method's registry record. */
type Call = IncomingCall<Registered>;

type ServerEmitter = new () => TypedEventEmitter<ServerEvents>;

/** A udprpc server: implement contracts, then {@link Server.listen}. */
export class Server extends (EventEmitter as unknown as ServerEmitter) {
  private readonly engine: ServerEngine<Registered>;
  private readonly send: FlushableSend;
  /** Owns the engine: every engine call goes through it, and it alone re-arms the engine's timer. */
  private readonly host: EngineHost;
  private readonly transport: Transport;
  private readonly codec: Codec;
  private readonly clock: Clock;
  private readonly interceptors: readonly ServerInterceptor[];
  private readonly registry = new Map<string, Registered>();
  private readonly services = new Map<string, ServiceDescription>();
  /** Contexts of handlers still running after dispatch returned (async ones), for aborts. */
  private readonly running = new Map<Call, LazyCallContext>();
  private address: PeerAddress | undefined;
  private state: 'new' | 'binding' | 'listening' | 'closed' = 'new';
  private handlerErrors = 0;
  private replyEncodeErrors = 0;
  private readonly warnings: RateLimitedWarnings | undefined;
  private readonly requireAuth: boolean;
  private readonly methodStats = new MethodStatsTable(latencyHistogram);
  private readonly io = zeroTransportCounters();
  private readonly tracer = new ServerCallTracer();
  private readonly health = new HealthRegistry();
  /** The graceful close under way, and what ends its wait (protocol.md §5.8). */
  private draining: Promise<void> | undefined;
  private drained: (() => void) | undefined;
  /** The close under way or done, for later `close()` calls to wait on. */
  private closing: Promise<void> | undefined;
  private readonly maxMetadataBytes: number;

  constructor(options: ServerOptions) {
    super();
    checkServerOptions(options);
    this.transport = options.transport;
    this.codec = checkCodec(options.codec ?? jsonCodec);
    this.clock = options.clock ?? systemClock;
    this.interceptors = options.interceptors ?? [];
    this.requireAuth = options.requireAuth ?? false;
    this.maxMetadataBytes = options.maxMetadataBytes ?? DEFAULT_MAX_METADATA_BYTES;
    this.warnings = options.warnings === false ? undefined : new RateLimitedWarnings(this.clock, options.warnings);
    const io = this.io;
    const counted = countedSender(options.transport, io);
    this.engine = new ServerEngine<Registered>({
      send: this.send = sendVia(counted, options.coalesce ?? true, options.maxDatagramBytes ?? defaultDatagramBytes(options.transport)),
      sendv: this.send.sendv,
      maxDatagramBytes: options.maxDatagramBytes ?? defaultDatagramBytes(options.transport),
      ...withPathMtu(options.transport, options),
      ...(options.dedup === undefined ? {} : { dedup: options.dedup }),
      ...(options.admission === undefined ? {} : { admission: options.admission }),
      ...(options.reassembly === undefined ? {} : { reassembly: options.reassembly }),
      ...(options.sources === undefined ? {} : { sources: options.sources }),
      ...(options.antiAmplification === false ? {} : { validator: createAddressValidator() }),
      ...(options.startupGraceMs === undefined ? {} : { startupGraceMs: options.startupGraceMs }),
      ...(options.random === undefined ? {} : { random: options.random }),
      maxMetadataBytes: this.maxMetadataBytes,
      startedAt: (options.clock ?? systemClock).now(),
      hooks: {
        onCall: (call) => this.dispatch(call),
        onAbort: (call, reason) => {
          const ctx = this.running.get(call);
          if (ctx === undefined) return;
          // The handler keeps its aborted signal; the server no longer needs its context (its
          // slot is taken back after admission.overrunGraceMs even if it never returns).
          this.running.delete(call);
          ctx.abort(abortReasons[reason]());
        },
        // The call's one registry lookup: the engine hands the record back on the call (`target`).
        resolve: (method) => this.registry.get(method),
        onDrained: () => this.drained?.(),
        onDrop: (reason, from) => {
          io.drops++;
          observeDrop(reason, from);
          this.emit('drop', reason, from);
        },
      },
    });
    const engine = this.engine;
    this.host = new EngineHost(engine, this.clock, { deliver: () => engine.deliver(), onError: (e) => this.reportError(e) });
    if (options.introspection !== false) {
      this.register('udprpc', 'describe', true, () => [...this.services.values()], this.requireAuth);
    }
    this.register('udprpc', 'health', true, this.health.check, this.requireAuth);
  }

  /**
   * Serves `contract` with `handlers`, whose argument and result types come
   * from the contract. Returns the server for chaining.
   */
  implement<C extends Contract>(contract: C, handlers: Handlers<C>, options: ImplementOptions = {}): this {
    if (this.services.has(contract.name)) throw new TypeError(`service ${contract.name} is already implemented`);
    const description: ServiceDescription = { service: contract.name, methods: [] };
    for (const [name, def] of Object.entries(contract.methods)) {
      const handler = (handlers as Record<string, Handler<unknown, unknown> | undefined>)[name];
      if (typeof handler !== 'function') throw new TypeError(`no handler for ${contract.name}.${name}`);
      const validated = validatedHandler(`${contract.name}.${name}`, handler, def.input, def.output);
      this.register(contract.name, name, def.idempotent, validated, options.requireAuth ?? this.requireAuth);
      description.methods.push(describeMethod(name, def));
    }
    this.services.set(contract.name, description);
    this.health.add(contract.name);
    return this;
  }

  /**
   * Binds the transport; resolves with the local address. If binding fails
   * (say the port is in use), rejects with the transport's error and the
   * server is as before: `listen()` may be called again.
   */
  async listen(): Promise<PeerAddress> {
    if (this.state !== 'new') throw new RpcError('FAILED_PRECONDITION', `server is ${this.state}`);
    this.state = 'binding';
    let address: PeerAddress;
    try {
      address = await this.transport.listen(
        (bytes, from, meta) => {
          this.io.datagramsIn++;
          this.io.bytesIn += bytes.length;
          // The handlers this datagram starts run when the host leaves, outside receive().
          this.host.enter();
          try {
            this.engine.receive(bytes, from, this.clock.now(), meta);
          } finally {
            this.host.leave();
          }
        },
        (error) => this.reportError(error),
      );
    } catch (error) {
      // The transport rejected its listen, so it is unbound again.
      if (this.state === 'binding') this.state = 'new';
      throw error;
    }
    if (this.state !== 'binding') throw new RpcError('CANCELLED', 'the server was closed while binding');
    this.state = 'listening';
    this.address = address;
    logLifecycle('listening on', address);
    this.emit('listening', address);
    return address;
  }

  /**
   * This server's incarnation: a random non-zero number drawn when it was
   * created, sent in every ACK (protocol.md §5.4, §6.3).
   */
  get incarnation(): number {
    return this.engine.incarnation;
  }

  /** The bound address, once listening. */
  get localAddress(): PeerAddress | undefined {
    return this.address;
  }

  /** A snapshot of the counters. */
  stats(): ServerStats {
    return {
      ...this.engine.stats(),
      handlerErrors: this.handlerErrors,
      replyEncodeErrors: this.replyEncodeErrors,
      warningsSuppressed: this.warnings?.suppressed ?? 0,
      transport: { ...this.io },
      methods: this.methodStats.snapshot(),
    };
  }

  /**
   * Closes the server ({@link close}) when an `await using` block ends:
   * `await using server = createServer(...)`.
   */
  async [asyncDisposeSymbol](): Promise<void> {
    await this.close();
  }

  /**
   * Sets what the built-in `udprpc.health` answers for `service` (`''`: the
   * server as a whole): SERVING or NOT_SERVING (protocol.md §5.7.4). A name
   * never implemented nor set answers SERVICE_UNKNOWN. While the server
   * drains (`close({ graceMs })`), everything answers NOT_SERVING.
   */
  setServing(service: string, serving: boolean): void {
    this.health.set(service, serving);
  }

  /**
   * Aborts running handlers, stops timers and closes the transport. Idempotent.
   * With `graceMs`, drains first (protocol.md §5.9, {@link CloseOptions}):
   * GOAWAY to recent clients, new calls refused as going away, running
   * handlers finish (for at most `graceMs`), then the same close. A plain
   * `close()` during a drain closes at once.
   */
  async close(options?: CloseOptions): Promise<void> {
    if (options?.graceMs !== undefined && this.state === 'listening') return this.drain(options.graceMs, options.lingerMs);
    if (this.state === 'closed') return this.closing;
    this.state = 'closed';
    this.closing = this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    for (const ctx of this.running.values()) ctx.abort(abortReasons.closing());
    this.running.clear();
    this.host.close();
    // Frames held for coalescing (CANCELs, last replies) leave before the socket closes.
    this.send.flush();
    // A drain cut short by a plain close() ends with this close.
    this.drained?.();
    await this.transport.close();
    logLifecycle('closed');
    this.emit('close');
  }

  private drain(graceMs: number, lingerMs = DEFAULT_LINGER_MS): Promise<void> {
    if (!(graceMs >= 0)) throw new RpcError('INVALID_ARGUMENT', `graceMs must be a non-negative number, got ${graceMs}`);
    if (!(lingerMs >= 0)) throw new RpcError('INVALID_ARGUMENT', `lingerMs must be a non-negative number, got ${lingerMs}`);
    this.draining ??= new Promise<void>((resolve) => {
      this.drained = resolve;
      this.health.draining = true;
      logLifecycle(`draining for at most ${graceMs} ms`);
      this.host.enter();
      try {
        this.engine.goAway(this.clock.now(), graceMs, lingerMs);
      } finally {
        this.host.leave();
      }
    }).then(() => this.close());
    return this.draining;
  }

  private register(
    service: string,
    method: string,
    idempotent: boolean,
    handler: Handler<unknown, unknown>,
    requireAuth: boolean,
  ): void {
    const last = (req: ServerRequest): unknown => {
      // An interceptor may have replaced the request metadata: the handler sees what it passed on.
      if (req.ctx instanceof LazyCallContext) req.ctx.metadata = req.metadata;
      return handler(req.input, req.ctx);
    };
    const direct = this.interceptors.length === 0 ? handler : undefined;
    const invoke = direct !== undefined ? last : composeServerInterceptors(this.interceptors, async (req) => last(req));
    const path = `${service}.${method}`;
    this.registry.set(path, { service, method, idempotent, requireAuth, invoke, direct, stats: this.methodStats.of(path) });
  }

  private dispatch(call: Call): void {
    if (!serverCallChannel.hasSubscribers) return this.run(call, undefined);
    this.tracer.dispatch(serverCallMessage(call.method, call.peer, this.registry.has(call.method), call.metadata ?? Metadata.EMPTY), (message) => this.run(call, message));
  }

  /** Decodes the argument and runs the handler; `trace` is the call's message when traced. */
  private run(call: Call, trace: ServerCallMessage | undefined): void {
    if (call.codec !== this.codec.id) {
      // The payload is in another encoding (or names none): decoding it with
      // ours could "succeed" with a wrong value (protocol.md §5.7, §6.2).
      const message = `the request's payload codec is ${codecIdName(call.codec)}; this server's codec is ${codecIdName(this.codec.id)} (id ${this.codec.id})`;
      return this.finish(call, { ok: false, code: 'UNIMPLEMENTED', message }, undefined, 0, trace);
    }
    const registered = call.target;
    if (registered === undefined) {
      return this.finish(call, { ok: false, code: 'NOT_FOUND', message: `unknown method ${call.method}` }, undefined, 0, trace);
    }
    const startedAt = this.clock.now();
    const input = this.codec.decode(call.payload);
    if (!input.ok) {
      const message = `could not decode the request: ${input.error.message}`;
      return this.finish(call, { ok: false, code: 'INVALID_ARGUMENT', message }, registered, startedAt, trace);
    }
    if (registered.requireAuth && call.authenticatedAs === undefined) {
      const message = `${call.method} requires an authenticated peer`;
      return this.finish(call, { ok: false, code: 'UNAUTHENTICATED', message }, registered, startedAt, trace);
    }
    const ctx = new LazyCallContext(
      this.clock,
      call.deadlineAt,
      call.peer,
      call.session,
      call.id,
      registered.service,
      registered.method,
      call.authenticatedAs,
      call.metadata ?? Metadata.EMPTY,
    );
    let result: unknown;
    try {
      const direct = registered.direct;
      result =
        direct !== undefined
          ? direct(input.value, ctx)
          : registered.invoke({ service: registered.service, method: registered.method, input: input.value, ctx, metadata: ctx.metadata });
    } catch (error) {
      return this.fail(call, error, registered, startedAt, trace, ctx);
    }
    if (isThenable(result)) {
      this.running.set(call, ctx);
      result.then(
        (value) => {
          this.running.delete(call);
          this.succeed(call, value, registered, startedAt, trace, ctx);
        },
        (error: unknown) => {
          this.running.delete(call);
          // A handler that honours ctx.signal rejects with whatever its API
          // throws on abort (often a DOMException AbortError): that is the
          // abort doing its job, not a handler bug.
          this.fail(call, ctx.aborted && !RpcError.is(error) ? ctx.abortReason! : error, registered, startedAt, trace, ctx);
        },
      );
    } else {
      this.succeed(call, result, registered, startedAt, trace, ctx);
    }
  }

  private succeed(call: Call, value: unknown, registered: Registered, startedAt: number, trace: ServerCallMessage | undefined, ctx: LazyCallContext): void {
    let metadata: Uint8Array | undefined;
    try {
      metadata = ctx.replyMetadataBlock(this.maxMetadataBytes);
    } catch (error) {
      return this.fail(call, error, registered, startedAt, trace, undefined);
    }
    let payload: Uint8Array;
    try {
      payload = this.codec.encode(value);
    } catch (error) {
      this.replyEncodeErrors++;
      this.reportFailure(call, 'returned a value the codec cannot encode', error);
      const outcome: HandlerOutcome = {
        ok: false,
        code: 'INTERNAL',
        message: 'the handler returned a value the codec cannot encode',
        ...(metadata === undefined ? {} : { metadata }),
      };
      return this.finish(call, outcome, registered, startedAt, trace, error);
    }
    const now = this.clock.now();
    registered.stats.record(undefined, now - startedAt);
    if (trace !== undefined) this.tracer.outcome(trace, 'OK', undefined);
    if (this.state === 'closed') return;
    // The common case, without an outcome object.
    this.host.enter();
    try {
      this.engine.respondOk(call, payload, now, metadata);
    } finally {
      this.host.leave();
    }
  }

  private fail(
    call: Call,
    thrown: unknown,
    registered: Registered,
    startedAt: number,
    trace: ServerCallMessage | undefined,
    ctx: LazyCallContext | undefined,
  ): void {
    // The reply metadata goes with an error too; too much of it replaces the error with RESOURCE_EXHAUSTED.
    let metadata: Uint8Array | undefined;
    try {
      metadata = ctx?.replyMetadataBlock(this.maxMetadataBytes);
    } catch (error) {
      thrown = error;
    }
    if (!RpcError.is(thrown)) {
      // Never leak a stack or internal message to the peer; tell the owner.
      this.handlerErrors++;
      this.reportFailure(call, 'threw', thrown);
      return this.finish(call, { ok: false, code: 'INTERNAL', message: 'internal error' }, registered, startedAt, trace, thrown);
    }
    let details: Uint8Array | undefined;
    if (thrown.details !== undefined) {
      try {
        details = this.codec.encode(thrown.details);
      } catch (error) {
        // The error still goes out, without its details.
        details = undefined;
        this.replyEncodeErrors++;
        this.reportFailure(call, `threw ${thrown.code} with details the codec cannot encode`, error);
      }
    }
    const outcome: HandlerOutcome = {
      ok: false,
      code: thrown.code,
      message: thrown.message,
      ...(details === undefined ? {} : { details }),
      ...(thrown.retryAfterMs === undefined ? {} : { retryAfterMs: thrown.retryAfterMs }),
      ...(metadata === undefined ? {} : { metadata }),
    };
    this.finish(call, outcome, registered, startedAt, trace, thrown);
  }

  /**
   * Answers with an error. `registered` and `startedAt` book it in the
   * method's stats (not for unknown methods); `thrown` is what the handler
   * threw, if it ran.
   */
  private finish(
    call: Call,
    outcome: Extract<HandlerOutcome, { ok: false }>,
    registered: Registered | undefined,
    startedAt: number,
    trace: ServerCallMessage | undefined,
    thrown?: unknown,
  ): void {
    const now = this.clock.now();
    registered?.stats.record(outcome.code, now - startedAt);
    if (trace !== undefined) this.tracer.outcome(trace, outcome.code, thrown ?? new RpcError(outcome.code, outcome.message));
    if (this.state === 'closed') return;
    this.host.enter();
    try {
      this.engine.respond(call, outcome, now);
    } finally {
      this.host.leave();
    }
  }

  // A handler failure the peer only sees as INTERNAL: to the `error`
  // listeners with the call it belongs to, or else to a rate-limited warning.
  private reportFailure(call: Call, what: string, error: unknown): void {
    const registered = call.target;
    const service = registered?.service ?? call.method;
    const method = registered?.method ?? '';
    if (this.listenerCount('error') > 0) {
      this.emit('error', error instanceof Error ? error : new Error(String(error)), { service, method, peer: call.peer });
      return;
    }
    this.warnings?.warn(() => new HandlerFailureWarning(service, method, call.peer, what, error));
  }

  private reportError(error: unknown): void {
    if (this.listenerCount('error') > 0) this.emit('error', error instanceof Error ? error : new Error(String(error)));
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}

/**
 * Creates a server on `options.transport`.
 *
 * @throws TypeError for an option of the wrong type or shape (a transport
 * without `listen`, a non-function where a function is expected, …), and
 * RangeError for an option of the right type out of its range (a negative
 * `dedup.graceMs`, `admission.maxRunning` 0, NaN, a fraction where an
 * integer is needed, …), at once; the message names the option. A call's
 * failures reach its client as RpcErrors, never these.
 */
export function createServer(options: ServerOptions): Server {
  return new Server(options);
}

// Path MTU discovery (protocol.md §7.5) unless `maxDatagramBytes` is fixed or it is turned off.
function withPathMtu(transport: Transport, options: { maxDatagramBytes?: number | undefined; pathMtuDiscovery?: boolean | undefined }) {
  const pmtu = pathMtuOption(transport, options);
  return pmtu === undefined ? {} : { pmtu };
}
