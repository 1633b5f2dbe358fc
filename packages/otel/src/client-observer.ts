import { channel, tracingChannel } from 'node:diagnostics_channel';
import { context, propagation, SpanKind, SpanStatusCode, trace, type Attributes, type Span } from '@opentelemetry/api';
import type { ClientCallMessage, ClientPushbackMessage, ClientRetransmitMessage } from '@udprpc/client';
import { metadataSetter } from './metadata-carrier.js';
import type { Telemetry } from './telemetry.js';
import {
  ATTR_ERROR_TYPE,
  ATTR_RPC_METHOD,
  ATTR_RPC_STATUS_CODE,
  ATTR_RPC_SYSTEM_NAME,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  ATTR_UDPRPC_ATTEMPT,
  ATTR_UDPRPC_ATTEMPTS,
  ATTR_UDPRPC_RETRY_AFTER_MS,
  ATTR_UDPRPC_RTO_MS,
  EVENT_PUSHBACK,
  EVENT_RETRANSMIT,
  RPC_SYSTEM_UDPRPC,
} from './semconv.js';
import { errorMessage, guarded } from './util.js';

/** A traced call in flight. */
interface ClientCall {
  readonly span: Span;
  /** performance.now() at `start`: the span and the histogram get the same duration. */
  readonly startedAt: number;
  /** The attributes of its duration measurement known at `start`. */
  readonly metricAttributes: Attributes;
  /** How many of the message's `ids` are in the id index. */
  indexed: number;
}

/**
 * CLIENT spans and `rpc.client.call.duration` from the client's diagnostics
 * channels: `udprpc:client:call` opens and ends the span, and
 * `udprpc:client:retransmit` / `udprpc:client:pushback` add events to the
 * span of the call whose message id they name.
 */
export class ClientObserver {
  private readonly calls = new Map<ClientCallMessage, ClientCall>();
  /** Message id → call, filled lazily from the calls' `ids` when an event names an id not in it. */
  private readonly byId = new Map<number, ClientCallMessage>();
  private readonly callChannel = tracingChannel<ClientCallMessage>('udprpc:client:call');
  private readonly retransmitChannel = channel('udprpc:client:retransmit');
  private readonly pushbackChannel = channel('udprpc:client:pushback');
  /** Only `start` and `asyncStart` are observed: no subscriber on the other events, so they cost nothing. */
  private readonly onStart: (message: unknown) => void;
  private readonly onSettled: (message: unknown) => void;
  private readonly onRetransmit: (message: unknown) => void;
  private readonly onPushback: (message: unknown) => void;

  constructor(private readonly telemetry: Telemetry) {
    const diag = telemetry.diag;
    this.onStart = guarded(diag, (message: unknown) => this.start(message as ClientCallMessage));
    this.onSettled = guarded(diag, (message: unknown) => this.settle(message as ClientCallMessage));
    this.onRetransmit = guarded(diag, (message: unknown) => {
      const m = message as ClientRetransmitMessage;
      this.find(m.id)?.span.addEvent(EVENT_RETRANSMIT, { [ATTR_UDPRPC_ATTEMPT]: m.attempt, [ATTR_UDPRPC_RTO_MS]: m.rtoMs });
    });
    this.onPushback = guarded(diag, (message: unknown) => {
      const m = message as ClientPushbackMessage;
      this.find(m.id)?.span.addEvent(EVENT_PUSHBACK, { [ATTR_UDPRPC_ATTEMPT]: m.attempt, [ATTR_UDPRPC_RETRY_AFTER_MS]: m.retryAfterMs });
    });
  }

  subscribe(): void {
    this.callChannel.start.subscribe(this.onStart);
    this.callChannel.asyncStart.subscribe(this.onSettled);
    this.retransmitChannel.subscribe(this.onRetransmit);
    this.pushbackChannel.subscribe(this.onPushback);
  }

  /** Stops observing; calls in flight end without a span (theirs is dropped unended). */
  unsubscribe(): void {
    this.callChannel.start.unsubscribe(this.onStart);
    this.callChannel.asyncStart.unsubscribe(this.onSettled);
    this.retransmitChannel.unsubscribe(this.onRetransmit);
    this.pushbackChannel.unsubscribe(this.onPushback);
    this.calls.clear();
    this.byId.clear();
  }

  private start(message: ClientCallMessage): void {
    const startedAt = performance.now();
    const method = `${message.service}.${message.method}`;
    const metricAttributes: Attributes = {
      [ATTR_RPC_SYSTEM_NAME]: RPC_SYSTEM_UDPRPC,
      [ATTR_RPC_METHOD]: method,
      [ATTR_SERVER_ADDRESS]: message.peer.address,
      [ATTR_SERVER_PORT]: message.peer.port,
    };
    const parent = context.active();
    const span = this.telemetry.tracer.startSpan(
      method,
      { kind: SpanKind.CLIENT, attributes: metricAttributes, startTime: performance.timeOrigin + startedAt },
      parent,
    );
    this.calls.set(message, { span, startedAt, metricAttributes, indexed: 0 });
    // The client encodes the request metadata after `start`: what is added here goes on the wire.
    propagation.inject(trace.setSpan(parent, span), message.metadata, metadataSetter);
  }

  private settle(message: ClientCallMessage): void {
    const call = this.calls.get(message);
    if (call === undefined) return; // started before enable()
    this.calls.delete(message);
    for (const id of message.ids) if (this.byId.get(id) === message) this.byId.delete(id);
    const endedAt = performance.now();
    const code = message.code ?? 'UNKNOWN';
    const { span } = call;
    span.setAttribute(ATTR_RPC_STATUS_CODE, code);
    span.setAttribute(ATTR_UDPRPC_ATTEMPTS, message.attempts);
    const attributes: Attributes = { ...call.metricAttributes, [ATTR_RPC_STATUS_CODE]: code };
    if (code !== 'OK') {
      attributes[ATTR_ERROR_TYPE] = code;
      span.setAttribute(ATTR_ERROR_TYPE, code);
      span.setStatus({ code: SpanStatusCode.ERROR, ...errorMessage(message.error) });
    }
    span.end(performance.timeOrigin + endedAt);
    this.telemetry.clientDuration.record((endedAt - call.startedAt) / 1000, attributes);
  }

  /** The call sent under message id `id`, if traced and in flight. */
  private find(id: number): ClientCall | undefined {
    let message = this.byId.get(id);
    if (message === undefined) {
      // Index the ids the calls gained since the last look (each id once).
      for (const [m, call] of this.calls) {
        for (; call.indexed < m.ids.length; call.indexed++) this.byId.set(m.ids[call.indexed]!, m);
      }
      message = this.byId.get(id);
    }
    return message === undefined ? undefined : this.calls.get(message);
  }
}
