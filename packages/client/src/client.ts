import { EventEmitter } from 'node:events';
import {
  ClientEngine,
  defaultCallPolicy,
  encodeMethodName,
  jsonCodec,
  MAX_METHOD_BYTES,
  RpcError,
  sendVia,
  systemClock,
  TimerDriver,
  type CallOutcome,
  type ClientEngineStats,
  type Clock,
  type Codec,
  type Contract,
  type FlowLimits,
  type PeerAddress,
  type RetryBudgetPolicy,
  type RetryPolicy,
  type Transport,
} from '@udprpc/core';
import type * as TE from 'typed-emitter';
import type { ClientEvents } from './events.js';
import { composeClientInterceptors, type ClientInterceptor, type ClientNext, type ClientRequest } from './interceptor.js';
import { ReplyStream, type GroupCallOptions, type GroupMethod, type GroupReply, type GroupStub } from './group.js';
import type { CallOptions, Stub, StubMethod } from './stub.js';

/** Options of {@link createClient}. */
export interface ClientOptions {
  /** The datagram transport; the client binds it on first use. */
  transport: Transport;
  /** The server to call (or a promise of it, e.g. while a host name resolves). */
  peer: PeerAddress | Promise<PeerAddress>;
  /** Payload codec; must match the server's. Default: JSON (the `udprpc` package defaults to msgpack). */
  codec?: Codec;
  /** Time source; inject a virtual clock in tests. Default: the system's monotonic clock. */
  clock?: Clock;
  /** Uniform [0,1) random source for ids and jitter; inject a seeded one in tests. */
  random?: () => number;
  /** Default per-call time budget in ms (5000). */
  timeoutMs?: number;
  retry?: Partial<RetryPolicy>;
  retryBudget?: Partial<RetryBudgetPolicy>;
  /** Largest datagram to send (1200 by default); larger messages are fragmented. */
  maxDatagramBytes?: number;
  /** Largest request or reply, in bytes (16 MiB). */
  maxMessageBytes?: number;
  /** Calls in flight to the server before new ones queue (1024), the queue's size (4096), and whether a full window queues or fails. */
  flow?: Partial<FlowLimits>;
  /** Outermost first. */
  interceptors?: readonly ClientInterceptor[];
  /**
   * Pack frames bound for the same peer in one event-loop turn into one
   * datagram (protocol.md §3.4). Default true: a lone frame is sent as is, so
   * it costs nothing when there is nothing to pack.
   */
  coalesce?: boolean;
}

/** Counters of a client. */
export type ClientStats = ClientEngineStats;

interface MethodInfo {
  readonly service: string;
  readonly method: string;
  readonly wire: Uint8Array;
  readonly idempotent: boolean;
}

// typed-emitter is CommonJS; from ESM its `export default` is the `default` member.
type ClientEmitter = new () => TE.default<ClientEvents>;

/**
 * A udprpc client bound to one server. Get a typed stub with {@link Client.stub}.
 */
export class Client extends (EventEmitter as unknown as ClientEmitter) {
  private readonly engine: ClientEngine;
  private readonly timer: TimerDriver;
  private readonly transport: Transport;
  private readonly codec: Codec;
  private readonly clock: Clock;
  private readonly defaultTimeoutMs: number;
  private readonly invoke: ClientNext;
  private readonly methods = new Map<string, MethodInfo>();
  private peer: PeerAddress | undefined;
  private ready: Promise<void> | undefined;
  private closed = false;

  constructor(private readonly options: ClientOptions) {
    super();
    this.transport = options.transport;
    this.codec = options.codec ?? jsonCodec;
    this.clock = options.clock ?? systemClock;
    this.defaultTimeoutMs = options.timeoutMs ?? defaultCallPolicy.timeoutMs;
    this.engine = new ClientEngine({
      send: sendVia(options.transport, options.coalesce ?? true, options.maxDatagramBytes ?? Math.min(1200, options.transport.maxDatagramBytes ?? 1200), options.clock ?? systemClock),
      ...(options.random === undefined ? {} : { random: options.random }),
      ...(options.retry === undefined ? {} : { retry: options.retry }),
      ...(options.retryBudget === undefined ? {} : { retryBudget: options.retryBudget }),
      ...(options.maxMessageBytes === undefined ? {} : { maxMessageBytes: options.maxMessageBytes }),
      ...(options.flow === undefined ? {} : { flow: options.flow }),
      maxDatagramBytes: options.maxDatagramBytes ?? Math.min(1200, options.transport.maxDatagramBytes ?? 1200),
      hooks: {
        onRetry: (info) => this.emit('retry', info),
        onTimeout: (info) => this.emit('timeout', info),
        onDrop: (reason, from) => this.emit('drop', reason, from),
      },
    });
    this.timer = new TimerDriver(this.engine, this.clock, (e) => this.reportError(e));
    this.invoke = composeClientInterceptors(options.interceptors ?? [], (req) => this.send(req));
  }

  /** Binds the transport and resolves the server address; calls do this on their own. */
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
      const call = (input?: unknown, options?: CallOptions) => this.callMethod(info, input, options);
      stub[name] = Object.assign(call, { notify: (input?: unknown) => this.notifyMethod(info, input) });
    }
    return Object.freeze(stub) as Stub<C>;
  }

  /**
   * A typed stub whose calls go to every server listening on the client's
   * address — a multicast group or a broadcast address — and yield each
   * server's reply as it arrives, until `collectMs` or `maxReplies`.
   * Group requests and replies must each fit in one datagram.
   */
  group<C extends Contract>(contract: C): GroupStub<C> {
    const stub: Record<string, GroupMethod<unknown, unknown>> = {};
    for (const [name, def] of Object.entries(contract.methods)) {
      const info = this.methodInfo(contract.name, name, def.idempotent);
      stub[name] = (input?: unknown, options?: GroupCallOptions) => this.groupCall(info, input, options);
    }
    return Object.freeze(stub) as GroupStub<C>;
  }

  /** Calls `service.method` on every server of a group, untyped (for tools such as the CLI). */
  callGroup(service: string, method: string, input: unknown, options?: GroupCallOptions): AsyncIterable<GroupReply<unknown>> {
    return this.groupCall(this.methodInfo(service, method, false), input, options);
  }

  /** Calls `service.method` by name, untyped (for tools such as the CLI). */
  call(service: string, method: string, input: unknown, options?: CallOptions & { idempotent?: boolean }): Promise<unknown> {
    return this.callMethod(this.methodInfo(service, method, options?.idempotent ?? false), input, options);
  }

  /** A snapshot of the counters. */
  stats(): ClientStats {
    return this.engine.stats();
  }

  /** Smoothed RTT and current RTO to the server, once measured. */
  timing(): { srttMs: number | undefined; rtoMs: number } | undefined {
    return this.peer === undefined ? undefined : this.engine.peerTiming(this.peer);
  }

  /**
   * Fails every call still in flight with CANCELLED (telling the server),
   * stops timers and closes the transport. Idempotent.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.engine.cancelAll(this.clock.now(), new RpcError('CANCELLED', 'client closed'));
    this.timer.close();
    await this.transport.close();
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
      info = { service, method, wire, idempotent };
      this.methods.set(path, info);
    }
    return info;
  }

  private async callMethod(info: MethodInfo, input: unknown, options: CallOptions | undefined): Promise<unknown> {
    const timeoutMs = options?.timeoutMs ?? this.defaultTimeoutMs;
    if (!(timeoutMs > 0)) throw new RpcError('INVALID_ARGUMENT', `timeoutMs must be a positive number, got ${timeoutMs}`);
    // The deadline is fixed at entry, so connecting counts against it.
    const deadline = this.clock.now() + timeoutMs;
    if (this.peer === undefined) await this.connect();
    if (this.closed) throw new RpcError('CANCELLED', 'client is closed');
    const req: ClientRequest = {
      service: info.service,
      method: info.method,
      input,
      deadline,
      signal: options?.signal,
      peer: this.peer!,
      idempotent: info.idempotent,
    };
    // The wire name travels on the request object so the last step needs no lookup.
    (req as ClientRequest & { [wireKey]?: Uint8Array })[wireKey] = info.wire;
    return this.invoke(req);
  }

  private async notifyMethod(info: MethodInfo, input: unknown): Promise<void> {
    if (this.peer === undefined) await this.connect();
    if (this.closed) throw new RpcError('CANCELLED', 'client is closed');
    const now = this.clock.now();
    const error = this.engine.notify(
      { peer: this.peer!, method: info.wire, payload: this.encode(input), deadlineAt: now + this.defaultTimeoutMs },
      now,
    );
    if (error !== undefined) throw error;
  }

  // The innermost step: encode, hand to the engine, decode the outcome.
  private send(req: ClientRequest): Promise<unknown> {
    const wire = (req as ClientRequest & { [wireKey]?: Uint8Array })[wireKey] ?? encodeMethodName(`${req.service}.${req.method}`);
    const signal = req.signal;
    if (signal?.aborted) return Promise.reject(abortError(signal));
    const payload = this.encode(req.input);
    return new Promise((resolve, reject) => {
      let onAbort: (() => void) | undefined;
      const settle = (outcome: CallOutcome): void => {
        if (onAbort !== undefined) signal!.removeEventListener('abort', onAbort);
        if (outcome.ok) {
          const decoded = this.codec.decode(outcome.payload);
          if (decoded.ok) resolve(decoded.value);
          else reject(new RpcError('INTERNAL', `could not decode the reply: ${decoded.error.message}`, { cause: decoded.error }));
        } else {
          reject(this.withDetails(outcome));
        }
      };
      const id = this.engine.call({ peer: req.peer, method: wire, payload, deadlineAt: req.deadline }, this.clock.now(), settle);
      if (typeof id !== 'number') return reject(id);
      if (signal !== undefined) {
        onAbort = () => {
          this.engine.cancel(id, this.clock.now(), abortError(signal));
        };
        signal.addEventListener('abort', onAbort, { once: true });
      }
      this.timer.update();
    });
  }

  private groupCall(info: MethodInfo, input: unknown, options: GroupCallOptions | undefined): ReplyStream<GroupReply<unknown>> {
    const stream = new ReplyStream<GroupReply<unknown>>();
    const collectMs = options?.collectMs ?? 1000;
    const deadline = this.clock.now() + collectMs;
    const start = async (): Promise<void> => {
      if (this.peer === undefined) await this.connect();
      if (this.closed) throw new RpcError('CANCELLED', 'client is closed');
      const signal = options?.signal;
      if (signal?.aborted) throw abortError(signal);
      const payload = this.encode(input);
      const id = this.engine.call(
        { peer: this.peer!, method: info.wire, payload, deadlineAt: deadline },
        this.clock.now(),
        (outcome) => {
          signal?.removeEventListener('abort', onAbort);
          if (outcome.ok) stream.end();
          else if (outcome.error.code === 'CANCELLED') stream.end();
          else stream.end(outcome.error);
        },
        {
          maxReplies: options?.maxReplies ?? 256,
          onReply: (peer, outcome) => {
            if (outcome.ok) {
              const decoded = this.codec.decode(outcome.payload);
              if (decoded.ok) stream.push({ peer, ok: true, result: decoded.value });
              else stream.push({ peer, ok: false, error: new RpcError('INTERNAL', `could not decode the reply: ${decoded.error.message}`) });
            } else {
              stream.push({ peer, ok: false, error: this.withDetails(outcome) });
            }
          },
        },
      );
      if (typeof id !== 'number') throw id;
      const onAbort = (): void => this.engine.cancel(id, this.clock.now());
      signal?.addEventListener('abort', onAbort, { once: true });
      stream.onReturn = onAbort;
      this.timer.update();
    };
    start().catch((error: unknown) => stream.end(RpcError.from(error)));
    return stream;
  }

  private encode(input: unknown): Uint8Array {
    try {
      return this.codec.encode(input);
    } catch (e) {
      throw new RpcError('INVALID_ARGUMENT', `could not encode the request: ${(e as Error).message}`, { cause: e });
    }
  }

  private withDetails(outcome: Extract<CallOutcome, { ok: false }>): RpcError {
    const e = outcome.error;
    if (outcome.detailsBytes === undefined || outcome.detailsBytes.length === 0) return e;
    const details = this.codec.decode(outcome.detailsBytes);
    return new RpcError(e.code, e.message, {
      remote: e.remote,
      details: details.ok ? details.value : undefined,
      ...(e.retryAfterMs === undefined ? {} : { retryAfterMs: e.retryAfterMs }),
    });
  }

  private async start(): Promise<void> {
    const [peer] = await Promise.all([
      this.options.peer,
      this.transport.listen(
        (bytes, from) => {
          this.engine.receive(bytes, from, this.clock.now());
          this.timer.update();
        },
        (error) => this.reportError(error),
      ),
    ]);
    this.peer = peer;
  }

  private reportError(error: unknown): void {
    if (this.listenerCount('error') > 0) this.emit('error', RpcError.from(error, 'UNAVAILABLE'));
  }
}

const wireKey = Symbol('udprpc.wire');

function abortError(signal: AbortSignal): RpcError {
  // AbortSignal.timeout() aborts with a TimeoutError: DEADLINE_EXCEEDED.
  return RpcError.from(signal.reason ?? new Error('call aborted'), 'CANCELLED');
}

/** Creates a client for one server. */
export function createClient(options: ClientOptions): Client {
  return new Client(options);
}
