import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { ConsoleSpanExporter, NodeTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-node';
import { UdprpcInstrumentation } from '@udprpc/otel';

/**
 * OpenTelemetry for one process: spans printed to stdout by the console
 * exporter as each ends. `register()` installs the provider globally with
 * an AsyncLocalStorage context manager and the W3C trace context
 * propagator, which @udprpc/otel uses to put `traceparent` in each call's
 * metadata and read it back on the server. Returns the shutdown function.
 */
export function startTracing(serviceName: string): () => Promise<void> {
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ 'service.name': serviceName }),
    spanProcessors: [new SimpleSpanProcessor(new ConsoleSpanExporter())],
  });
  provider.register();
  registerInstrumentations({ instrumentations: [new UdprpcInstrumentation()] });
  return () => provider.shutdown();
}
