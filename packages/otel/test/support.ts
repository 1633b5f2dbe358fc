// A tracer provider with an in-memory exporter, a meter provider with a
// pull reader, the W3C propagator and an AsyncLocalStorage context manager,
// and a udprpc server + client on the testkit's simulated network.
import { context, propagation, type Context, type Tracer } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { MeterProvider, MetricReader, type HistogramMetricData, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { createClient, type Client, type ClientOptions } from '@udprpc/client';
import { RpcError, type PeerAddress } from '@udprpc/core';
import { UdprpcInstrumentation } from '@udprpc/otel';
import { createServer, type Server, type ServerOptions } from '@udprpc/server';
import { calc } from './fixtures/contract.js';
import { createRandom, createTransportPair, type SimNetwork, type TransportPairOptions, type VirtualClock } from '@udprpc/testkit';


/** A metric reader read on demand. */
class PullReader extends MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

export interface Otel {
  readonly exporter: InMemorySpanExporter;
  readonly instrumentation: UdprpcInstrumentation;
  /** A tracer of the same provider, for parent spans. */
  readonly tracer: Tracer;
  /** Finished spans, in the order they ended. */
  spans(): ReadableSpan[];
  /** The histogram named `name` in the last collection, or undefined. */
  histogram(name: string): Promise<HistogramMetricData | undefined>;
  shutdown(): Promise<void>;
}

/** Sets up OpenTelemetry and an enabled instrumentation (not registered globally, except the propagator and context manager). */
export function startOtel(): Otel {
  const exporter = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const reader = new PullReader();
  const meterProvider = new MeterProvider({ readers: [reader] });
  const contextManager = new AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(contextManager);
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  const instrumentation = new UdprpcInstrumentation({ enabled: false });
  instrumentation.setTracerProvider(tracerProvider);
  instrumentation.setMeterProvider(meterProvider);
  instrumentation.enable();
  return {
    exporter,
    instrumentation,
    tracer: tracerProvider.getTracer('test'),
    spans: () => exporter.getFinishedSpans(),
    histogram: async (name) => {
      const { resourceMetrics, errors } = await reader.collect();
      if (errors.length > 0) throw new AggregateError(errors);
      return findHistogram(resourceMetrics, name);
    },
    shutdown: async () => {
      instrumentation.disable();
      await tracerProvider.shutdown();
      await meterProvider.shutdown();
      context.disable();
      propagation.disable();
    },
  };
}

function findHistogram(metrics: ResourceMetrics, name: string): HistogramMetricData | undefined {
  for (const scope of metrics.scopeMetrics) {
    for (const metric of scope.metrics) if (metric.descriptor.name === name) return metric as HistogramMetricData;
  }
  return undefined;
}

export interface Rig {
  readonly clock: VirtualClock;
  readonly network: SimNetwork;
  readonly server: Server;
  readonly client: Client;
  readonly serverAddress: PeerAddress;
  readonly clientAddress: PeerAddress;
  close(): Promise<void>;
}

/** A server of {@link calc} and a client on a simulated network (virtual clock). */
export async function startRig(
  options: { pair?: TransportPairOptions; server?: Partial<ServerOptions>; client?: Partial<ClientOptions> } = {},
): Promise<Rig> {
  const { clock, network, a, b } = createTransportPair(options.pair);
  const server = createServer({ transport: a, clock, random: createRandom(3), ...options.server }).implement(calc, {
    add: ({ a: x, b: y }) => x + y,
    echo: (n) => n,
    wait: (ms) => new Promise<number>((resolve) => clock.setTimer(ms, () => resolve(ms))),
    refuse: (n) => {
      throw new RpcError('FAILED_PRECONDITION', `refused ${n}`);
    },
  });
  await server.listen();
  const client = createClient({ transport: b, clock, random: createRandom(7), peer: a.address, ...options.client });
  await client.connect();
  return {
    clock,
    network,
    server,
    client,
    serverAddress: a.address,
    clientAddress: b.address,
    close: async () => {
      await client.close();
      await server.close();
    },
  };
}

/** Runs `fn` with `ctx` active. */
export const within = <T>(ctx: Context, fn: () => T): T => context.with(ctx, fn);

export { calc };
