import { InstrumentationBase, type InstrumentationConfig } from '@opentelemetry/instrumentation';
import type { DiagLogger, Histogram, Tracer } from '@opentelemetry/api';
import { ClientObserver } from './client-observer.js';
import { ServerObserver } from './server-observer.js';
import { DURATION_BUCKETS_S, METRIC_RPC_CLIENT_CALL_DURATION, METRIC_RPC_SERVER_CALL_DURATION } from './semconv.js';
import type { Telemetry } from './telemetry.js';
import { PACKAGE_NAME, PACKAGE_VERSION } from './version.js';

/**
 * Options of {@link UdprpcInstrumentation}: those of every OpenTelemetry
 * instrumentation (`enabled`, default true: observe from construction).
 */
export interface UdprpcInstrumentationConfig extends InstrumentationConfig {}

/**
 * OpenTelemetry instrumentation for udprpc clients and servers in this
 * process, built only on their diagnostics channels
 * (`udprpc:client:call`, `udprpc:client:retransmit`,
 * `udprpc:client:pushback`, `udprpc:server:call`; docs/observability.md):
 * nothing is patched, and a process where it is disabled pays nothing.
 *
 * - A CLIENT span per call made through a stub or `client.call()`, a child
 *   of the active context, with an event per retransmission
 *   (`udprpc.retransmit`) and pushback (`udprpc.pushback`).
 * - A SERVER span per call the server runs, a child of the client span
 *   when the call's metadata carries W3C trace context (the client side
 *   injects it with the globally registered propagator).
 * - The histograms `rpc.client.call.duration` and `rpc.server.call.duration`
 *   (seconds).
 *
 * Names follow the OpenTelemetry RPC semantic conventions v1.45.0 with
 * `rpc.system.name` = `udprpc`; docs/observability.md lists every attribute.
 *
 * @example
 * ```ts
 * import { registerInstrumentations } from '@opentelemetry/instrumentation';
 * import { UdprpcInstrumentation } from '@udprpc/otel';
 *
 * registerInstrumentations({ instrumentations: [new UdprpcInstrumentation()] });
 * ```
 */
export class UdprpcInstrumentation extends InstrumentationBase<UdprpcInstrumentationConfig> {
  // InstrumentationBase's constructor calls _updateMetricInstruments() and
  // enable() before this class's own fields would be initialised (and a
  // field initialiser would then reset them): these are `declare`d, set
  // on first use, never initialised by the class body.
  declare private observers: { readonly client: ClientObserver; readonly server: ServerObserver; subscribed: boolean } | undefined;
  declare private clientDuration: Histogram | undefined;
  declare private serverDuration: Histogram | undefined;

  /**
   * Creates the instrumentation; unless `config.enabled` is false, it observes at once (`registerInstrumentations` enables it too).
   *
   * @throws TypeError when `config` is not an object or `config.enabled` not a boolean (before anything subscribes).
   */
  constructor(config: UdprpcInstrumentationConfig = {}) {
    super(PACKAGE_NAME, PACKAGE_VERSION, checkedConfig(config));
  }

  /** Nothing to patch: the instrumentation only subscribes to channels. */
  protected override init(): undefined {
    return undefined;
  }

  /** Creates the duration histograms on the current meter (called again when the meter provider changes). */
  protected override _updateMetricInstruments(): void {
    const advice = { explicitBucketBoundaries: [...DURATION_BUCKETS_S] };
    this.clientDuration = this.meter.createHistogram(METRIC_RPC_CLIENT_CALL_DURATION, {
      description: 'Measures the duration of an outgoing Remote Procedure Call (RPC).',
      unit: 's',
      advice,
    });
    this.serverDuration = this.meter.createHistogram(METRIC_RPC_SERVER_CALL_DURATION, {
      description: 'Measures the duration of an incoming Remote Procedure Call (RPC).',
      unit: 's',
      advice,
    });
  }

  /** Subscribes to the diagnostics channels (idempotent). */
  override enable(): void {
    const observers = (this.observers ??= this.createObservers());
    if (observers.subscribed) return;
    observers.subscribed = true;
    observers.client.subscribe();
    observers.server.subscribe();
  }

  /** Unsubscribes from the diagnostics channels (idempotent): calls in flight end without spans or measurements. */
  override disable(): void {
    const observers = this.observers;
    if (observers === undefined || !observers.subscribed) return;
    observers.subscribed = false;
    observers.client.unsubscribe();
    observers.server.unsubscribe();
  }

  private createObservers(): { client: ClientObserver; server: ServerObserver; subscribed: boolean } {
    // Read through on every use: setTracerProvider / setMeterProvider may replace them.
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const self = this;
    const telemetry: Telemetry = {
      get tracer(): Tracer {
        return self.tracer;
      },
      get clientDuration(): Histogram {
        return self.clientDuration!;
      },
      get serverDuration(): Histogram {
        return self.serverDuration!;
      },
      get diag(): DiagLogger {
        return self._diag;
      },
    };
    return { client: new ClientObserver(telemetry), server: new ServerObserver(telemetry), subscribed: false };
  }
}

// The package depends on no udprpc package that exports the shared option
// checks, and these two are all it needs (issue 13: TypeError at construction).
function checkedConfig(config: unknown): UdprpcInstrumentationConfig {
  if (typeof config !== 'object' || config === null || Array.isArray(config)) {
    throw new TypeError(`config must be an object, got ${config === null ? 'null' : Array.isArray(config) ? 'an array' : typeof config}`);
  }
  const enabled = (config as { enabled?: unknown }).enabled;
  if (enabled !== undefined && typeof enabled !== 'boolean') throw new TypeError(`config.enabled must be a boolean, got ${typeof enabled}`);
  return config;
}
