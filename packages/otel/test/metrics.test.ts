// rpc.client.call.duration and rpc.server.call.duration through an SDK
// metric reader: names, unit, buckets, attributes and counts.
import { SpanKind } from '@opentelemetry/api';
import { hrTimeToMilliseconds } from '@opentelemetry/core';
import { settleAll } from '@udprpc/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { calc, startOtel, startRig, type Otel, type Rig } from './support.js';

let otel: Otel | undefined;
let rig: Rig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
  await otel?.shutdown();
  otel = undefined;
});

const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];

describe('duration histograms', () => {
  it('one measurement per call on each side, by method and status code, in seconds', async () => {
    otel = startOtel();
    rig = await startRig();
    const stub = rig.client.stub(calc);
    const results = await settleAll(rig.clock, [stub.add({ a: 1, b: 1 }), stub.add({ a: 2, b: 2 }), stub.add({ a: 3, b: 3 }), stub.refuse(1)]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'rejected']);

    const client = await otel.histogram('rpc.client.call.duration');
    expect(client?.descriptor).toMatchObject({ name: 'rpc.client.call.duration', unit: 's', description: 'Measures the duration of an outgoing Remote Procedure Call (RPC).' });
    const server = { 'server.address': rig.serverAddress.address, 'server.port': rig.serverAddress.port };
    expect(client?.dataPoints.map((p) => [p.attributes, p.value.count])).toEqual([
      [{ 'rpc.system.name': 'udprpc', 'rpc.method': 'calc.add', ...server, 'rpc.status_code': 'OK' }, 3],
      [{ 'rpc.system.name': 'udprpc', 'rpc.method': 'calc.refuse', ...server, 'rpc.status_code': 'FAILED_PRECONDITION', 'error.type': 'FAILED_PRECONDITION' }, 1],
    ]);
    for (const p of client!.dataPoints) expect(p.value.buckets.boundaries).toEqual(BUCKETS);

    const handled = await otel.histogram('rpc.server.call.duration');
    expect(handled?.descriptor).toMatchObject({ name: 'rpc.server.call.duration', unit: 's', description: 'Measures the duration of an incoming Remote Procedure Call (RPC).' });
    expect(handled?.dataPoints.map((p) => [p.attributes, p.value.count])).toEqual([
      [{ 'rpc.system.name': 'udprpc', 'rpc.method': 'calc.add', 'rpc.status_code': 'OK' }, 3],
      [{ 'rpc.system.name': 'udprpc', 'rpc.method': 'calc.refuse', 'rpc.status_code': 'FAILED_PRECONDITION', 'error.type': 'FAILED_PRECONDITION' }, 1],
    ]);
    for (const p of handled!.dataPoints) expect(p.value.buckets.boundaries).toEqual(BUCKETS);

    // The measurement is the span's duration (rpc-metrics.md).
    const spanSeconds = (kind: SpanKind, name: string): number =>
      otel!
        .spans()
        .filter((s) => s.kind === kind && s.name === name)
        .reduce((sum, s) => sum + hrTimeToMilliseconds(s.duration) / 1000, 0);
    expect(client!.dataPoints[0]!.value.sum).toBeCloseTo(spanSeconds(SpanKind.CLIENT, 'calc.add'), 5);
    expect(handled!.dataPoints[1]!.value.sum).toBeCloseTo(spanSeconds(SpanKind.SERVER, 'calc.refuse'), 5);
  });

  it('a method the server does not serve is measured as _OTHER (bounded series)', async () => {
    otel = startOtel();
    rig = await startRig();
    await settleAll(rig.clock, [rig.client.call('calc', 'x1', 0), rig.client.call('calc', 'x2', 0)]);
    const handled = await otel.histogram('rpc.server.call.duration');
    expect(handled?.dataPoints.map((p) => [p.attributes, p.value.count])).toEqual([
      [{ 'rpc.system.name': 'udprpc', 'rpc.method': '_OTHER', 'rpc.status_code': 'NOT_FOUND', 'error.type': 'NOT_FOUND' }, 2],
    ]);
  });

  it('disabled: nothing is measured', async () => {
    otel = startOtel();
    rig = await startRig();
    otel.instrumentation.disable();
    await settleAll(rig.clock, [rig.client.stub(calc).add({ a: 1, b: 1 })]);
    expect(await otel.histogram('rpc.client.call.duration')).toBeUndefined();
    expect(await otel.histogram('rpc.server.call.duration')).toBeUndefined();
  });
});
