import { afterEach, describe, expect, it } from 'vitest';
import { type LatencyHistogram } from '@udprpc/core';
import { MethodRecord } from '@udprpc/core/engine';
import { settleAll } from '@udprpc/testkit';
import { obs, startRig, type Rig } from './helpers.js';

// stats(): per-method counts, errors by code and latency percentiles (ms,
// recorded in µs), and the transport counters (docs/observability.md).
// Latencies come from the virtual clock: a 0.1 ms one-way delay and
// handlers taking 15 µs × i, so every figure is known in advance. All values
// stay below 2.048 ms, where the HdrHistogram is exact.

let rig: Rig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

describe('per-method stats', () => {
  it('percentiles, max, counts and errors per code on both sides, from a controlled clock', async () => {
    rig = await startRig({ delayMs: 0.1 });
    const stub = rig.client.stub(obs);
    await rig.client.connect();
    const waits = Array.from({ length: 100 }, (_, i) => stub.wait((i + 1) * 0.015));
    const refusals = [stub.refuse(1), stub.refuse(2), stub.refuse(3)];
    const results = await settleAll(rig.clock, [...waits, ...refusals]);
    expect(results.map((r) => r.status)).toEqual([...Array<string>(100).fill('fulfilled'), ...Array<string>(3).fill('rejected')]);

    const server = rig.server.stats().methods;
    // Handler time only: 15 µs × i, i = 1..100.
    expect(server['obs.wait']).toEqual({ count: 100, errors: {}, latencyMs: { p50: 0.75, p90: 1.35, p99: 1.485, max: 1.5 } });
    // A throwing handler takes no virtual time: the histogram's floor, 1 µs.
    expect(server['obs.refuse']).toEqual({ count: 3, errors: { FAILED_PRECONDITION: 3 }, latencyMs: { p50: 0.001, p90: 0.001, p99: 0.001, max: 0.001 } });
    expect(Object.keys(server).sort()).toEqual(['obs.refuse', 'obs.wait']);

    const client = rig.client.stats().methods;
    // Plus 0.1 ms each way.
    expect(client['obs.wait']).toEqual({ count: 100, errors: {}, latencyMs: { p50: 0.95, p90: 1.55, p99: 1.685, max: 1.7 } });
    expect(client['obs.refuse']).toEqual({ count: 3, errors: { FAILED_PRECONDITION: 3 }, latencyMs: { p50: 0.2, p90: 0.2, p99: 0.2, max: 0.2 } });
  });

  it('a local timeout counts as DEADLINE_EXCEEDED for the client; unknown methods are not broken down by the server', async () => {
    rig = await startRig({ delayMs: 0.1 });
    const [late, unknown] = await settleAll(rig.clock, [
      rig.client.stub(obs).wait(50, { timeoutMs: 10 }),
      rig.client.call('obs', 'missing', 1),
    ]);
    expect([late.status, unknown.status]).toEqual(['rejected', 'rejected']);
    expect(rig.client.stats().methods).toEqual({
      // Above 2.048 ms the percentiles are HdrHistogram bucket tops: 10 000 µs lies in
      // the 8 µs bucket 10 000–10 007 (3 significant figures); max is exact.
      'obs.wait': { count: 1, errors: { DEADLINE_EXCEEDED: 1 }, latencyMs: { p50: 10.007, p90: 10.007, p99: 10.007, max: 10 } },
      'obs.missing': { count: 1, errors: { NOT_FOUND: 1 }, latencyMs: { p50: 0.2, p90: 0.2, p99: 0.2, max: 0.2 } },
    });
    // The server saw obs.wait run (50 ms) and a name it does not serve, which it does not record.
    await rig.clock.runUntil(rig.clock.now() + 100);
    expect(Object.keys(rig.server.stats().methods)).toEqual(['obs.wait']);
    expect(rig.server.stats().errors).toBe(1);
  });

  it('MethodRecord: rounding to µs, the 1 µs floor, exact max, zeros before the first call', () => {
    const recorded: number[] = [];
    const histogram: LatencyHistogram = { record: (v) => recorded.push(v), percentile: (p) => p * 1000 };
    const record = new MethodRecord(histogram);
    expect(record.snapshot()).toEqual({ count: 0, errors: {}, latencyMs: { p50: 0, p90: 0, p99: 0, max: 0 } });
    record.record(undefined, 0);
    record.record('UNAVAILABLE', 1.2344);
    record.record('UNAVAILABLE', 2.0006);
    expect(recorded).toEqual([1, 1234, 2001]);
    expect(record.snapshot()).toEqual({ count: 3, errors: { UNAVAILABLE: 2 }, latencyMs: { p50: 50, p90: 90, p99: 99, max: 2.001 } });
  });
});

describe('transport counters', () => {
  it('count what crossed the transport boundary, and drops', async () => {
    rig = await startRig();
    await rig.client.connect();
    const [r] = await settleAll(rig.clock, [rig.client.stub(obs).add({ a: 1, b: 2 })]);
    expect(r.status).toBe('fulfilled');
    const c = rig.client.stats().transport;
    const s = rig.server.stats().transport;
    // One REQUEST, one RESPONSE.
    expect([c.datagramsOut, c.datagramsIn, s.datagramsIn, s.datagramsOut]).toEqual([1, 1, 1, 1]);
    expect(c.bytesOut).toBe(s.bytesIn);
    expect(c.bytesIn).toBe(s.bytesOut);
    expect(rig.network.stats().sent).toBe(c.datagramsOut + s.datagramsOut);
    expect([c.drops, s.drops]).toEqual([0, 0]);

    const attacker = rig.network.endpoint();
    await attacker.listen(() => {}, () => {});
    attacker.send(new Uint8Array([9, 9, 9]), rig.serverAddress);
    await rig.clock.runUntil(rig.clock.now() + 10);
    await attacker.close();
    const after = rig.server.stats().transport;
    expect(after).toEqual({ ...s, datagramsIn: 2, bytesIn: s.bytesIn + 3, drops: 1 });
  });
});
