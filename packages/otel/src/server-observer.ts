import { tracingChannel } from 'node:diagnostics_channel';
import { propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, type Attributes, type Span } from '@opentelemetry/api';
import type { ServerCallMessage } from '@udprpc/server';
import { metadataGetter } from './metadata-carrier.js';
import type { Telemetry } from './telemetry.js';
import {
  ATTR_ERROR_TYPE,
  ATTR_NETWORK_PEER_ADDRESS,
  ATTR_NETWORK_PEER_PORT,
  ATTR_RPC_METHOD,
  ATTR_RPC_METHOD_ORIGINAL,
  ATTR_RPC_STATUS_CODE,
  ATTR_RPC_SYSTEM_NAME,
  RPC_METHOD_OTHER,
  RPC_SYSTEM_UDPRPC,
} from './semconv.js';
import { errorMessage, guarded } from './util.js';

/** A traced call being handled. */
interface ServerCall {
  readonly span: Span;
  readonly startedAt: number;
  readonly metricAttributes: Attributes;
}

/**
 * SERVER spans and `rpc.server.call.duration` from `udprpc:server:call`.
 * The span's parent is the trace context in the call's metadata, if any.
 */
export class ServerObserver {
  /** Weak: a call whose handler never settles publishes no `asyncStart`, and its span is dropped with it. */
  private readonly calls = new WeakMap<ServerCallMessage, ServerCall>();
  private readonly callChannel = tracingChannel<ServerCallMessage>('udprpc:server:call');
  /** Only `start` and `asyncStart` are observed: no subscriber on the other events, so they cost nothing. */
  private readonly onStart: (message: unknown) => void;
  private readonly onSettled: (message: unknown) => void;

  constructor(private readonly telemetry: Telemetry) {
    this.onStart = guarded(telemetry.diag, (message: unknown) => this.start(message as ServerCallMessage));
    this.onSettled = guarded(telemetry.diag, (message: unknown) => this.settle(message as ServerCallMessage));
  }

  subscribe(): void {
    this.callChannel.start.subscribe(this.onStart);
    this.callChannel.asyncStart.subscribe(this.onSettled);
  }

  unsubscribe(): void {
    this.callChannel.start.unsubscribe(this.onStart);
    this.callChannel.asyncStart.unsubscribe(this.onSettled);
  }

  private start(message: ServerCallMessage): void {
    const startedAt = performance.now();
    const path = `${message.service}.${message.method}`;
    // A name the server does not serve is whatever a peer sent: `_OTHER` keeps
    // span names and metric series bounded (rpc-spans.md, `rpc.method`).
    const method = message.known ? path : RPC_METHOD_OTHER;
    const metricAttributes: Attributes = { [ATTR_RPC_SYSTEM_NAME]: RPC_SYSTEM_UDPRPC, [ATTR_RPC_METHOD]: method };
    const attributes: Attributes = {
      ...metricAttributes,
      [ATTR_NETWORK_PEER_ADDRESS]: message.peer.address,
      [ATTR_NETWORK_PEER_PORT]: message.peer.port,
    };
    if (!message.known) attributes[ATTR_RPC_METHOD_ORIGINAL] = path;
    // The caller's trace context, if its metadata carries one; otherwise a new trace.
    const parent = propagation.extract(ROOT_CONTEXT, message.metadata, metadataGetter);
    const span = this.telemetry.tracer.startSpan(
      message.known ? path : RPC_SYSTEM_UDPRPC,
      { kind: SpanKind.SERVER, attributes, startTime: performance.timeOrigin + startedAt },
      parent,
    );
    this.calls.set(message, { span, startedAt, metricAttributes });
  }

  private settle(message: ServerCallMessage): void {
    const call = this.calls.get(message);
    if (call === undefined) return; // started before enable()
    this.calls.delete(message);
    const endedAt = performance.now();
    const code = message.code ?? 'UNKNOWN';
    const { span } = call;
    span.setAttribute(ATTR_RPC_STATUS_CODE, code);
    const attributes: Attributes = { ...call.metricAttributes, [ATTR_RPC_STATUS_CODE]: code };
    if (code !== 'OK') {
      attributes[ATTR_ERROR_TYPE] = code;
      span.setAttribute(ATTR_ERROR_TYPE, code);
      span.setStatus({ code: SpanStatusCode.ERROR, ...errorMessage(message.error) });
    }
    span.end(performance.timeOrigin + endedAt);
    this.telemetry.serverDuration.record((endedAt - call.startedAt) / 1000, attributes);
  }
}
