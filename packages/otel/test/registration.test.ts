// UdprpcInstrumentation as OpenTelemetry users set it up: enabled at
// construction (InstrumentationBase calls enable() from its constructor),
// through registerInstrumentations (and its unregister function), and with
// names that are those of @opentelemetry/semantic-conventions.
import { readFileSync } from 'node:fs';
import { SpanKind } from '@opentelemetry/api';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import * as semconv from '@opentelemetry/semantic-conventions';
import * as incubating from '@opentelemetry/semantic-conventions/incubating';
import * as otel from '@udprpc/otel';
import { settleAll } from '@udprpc/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { calc, startRig, type Rig } from './support.js';

let rig: Rig | undefined;
const undo: (() => void)[] = [];
afterEach(async () => {
  undo.splice(0).forEach((f) => f());
  await rig?.close();
  rig = undefined;
});

function providers(): { exporter: InMemorySpanExporter; tracerProvider: BasicTracerProvider; meterProvider: MeterProvider } {
  const exporter = new InMemorySpanExporter();
  return { exporter, tracerProvider: new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }), meterProvider: new MeterProvider() };
}

describe('set-up', () => {
  it('enabled from construction: observes before and after its providers are set', async () => {
    const { exporter, tracerProvider, meterProvider } = providers();
    const instrumentation = new otel.UdprpcInstrumentation();
    undo.push(() => instrumentation.disable());
    expect(instrumentation.getConfig().enabled).toBe(true);
    instrumentation.setTracerProvider(tracerProvider);
    instrumentation.setMeterProvider(meterProvider);
    rig = await startRig();
    await settleAll(rig.clock, [rig.client.stub(calc).add({ a: 1, b: 1 })]);
    expect(exporter.getFinishedSpans().map((s) => s.kind)).toEqual([SpanKind.SERVER, SpanKind.CLIENT]);
    // The subscriptions made inside the base constructor are the ones disable() removes.
    instrumentation.disable();
    await settleAll(rig.clock, [rig.client.stub(calc).add({ a: 1, b: 1 })]);
    expect(exporter.getFinishedSpans()).toHaveLength(2);
  });

  it('registerInstrumentations enables it with the given providers; its unregister function disables it', async () => {
    const { exporter, tracerProvider, meterProvider } = providers();
    const instrumentation = new otel.UdprpcInstrumentation({ enabled: false });
    const unregister = registerInstrumentations({ instrumentations: [instrumentation], tracerProvider, meterProvider });
    undo.push(unregister);
    rig = await startRig();
    const stub = rig.client.stub(calc);
    await settleAll(rig.clock, [stub.add({ a: 1, b: 1 })]);
    expect(exporter.getFinishedSpans()).toHaveLength(2);
    unregister();
    await settleAll(rig.clock, [stub.add({ a: 1, b: 1 })]);
    expect(exporter.getFinishedSpans()).toHaveLength(2);
  });

  it('its instrumentation scope is the package name and version', () => {
    const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { name: string; version: string };
    const instrumentation = new otel.UdprpcInstrumentation({ enabled: false });
    expect([instrumentation.instrumentationName, instrumentation.instrumentationVersion]).toEqual([manifest.name, manifest.version]);
  });

  it('every attribute and metric name is the one @opentelemetry/semantic-conventions defines', () => {
    expect({
      system: otel.ATTR_RPC_SYSTEM_NAME,
      method: otel.ATTR_RPC_METHOD,
      original: otel.ATTR_RPC_METHOD_ORIGINAL,
      status: otel.ATTR_RPC_STATUS_CODE,
      error: otel.ATTR_ERROR_TYPE,
      address: otel.ATTR_SERVER_ADDRESS,
      port: otel.ATTR_SERVER_PORT,
      peerAddress: otel.ATTR_NETWORK_PEER_ADDRESS,
      peerPort: otel.ATTR_NETWORK_PEER_PORT,
      client: otel.METRIC_RPC_CLIENT_CALL_DURATION,
      server: otel.METRIC_RPC_SERVER_CALL_DURATION,
    }).toEqual({
      system: incubating.ATTR_RPC_SYSTEM_NAME,
      method: incubating.ATTR_RPC_METHOD,
      original: incubating.ATTR_RPC_METHOD_ORIGINAL,
      status: incubating.ATTR_RPC_STATUS_CODE,
      error: semconv.ATTR_ERROR_TYPE,
      address: semconv.ATTR_SERVER_ADDRESS,
      port: semconv.ATTR_SERVER_PORT,
      peerAddress: semconv.ATTR_NETWORK_PEER_ADDRESS,
      peerPort: semconv.ATTR_NETWORK_PEER_PORT,
      client: incubating.METRIC_RPC_CLIENT_CALL_DURATION,
      server: incubating.METRIC_RPC_SERVER_CALL_DURATION,
    });
    expect(otel.RPC_METHOD_OTHER).toBe(semconv.ERROR_TYPE_VALUE_OTHER);
  });
});
