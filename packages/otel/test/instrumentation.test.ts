// UdprpcInstrumentation in one process, on the testkit's simulated network:
// spans (names, kinds, attributes, status, events, parent/child) and the
// duration histograms, with exact oracles.
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { createRandom, settleAll } from '@udprpc/testkit';
import { createClient } from '@udprpc/client';
import { afterEach, describe, expect, it } from 'vitest';
import { calc, startOtel, startRig, within, type Otel, type Rig } from './support.js';

let otel: Otel | undefined;
let rig: Rig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
  await otel?.shutdown();
  otel = undefined;
});

const byKind = (spans: readonly ReadableSpan[], kind: SpanKind): ReadableSpan[] => spans.filter((s) => s.kind === kind);

describe('spans', () => {
  it('one CLIENT and one SERVER span per call, with the RPC semantic convention attributes', async () => {
    otel = startOtel();
    rig = await startRig();
    const [r] = await settleAll(rig.clock, [rig.client.stub(calc).add({ a: 1, b: 2 })]);
    expect(r).toEqual({ status: 'fulfilled', value: 3 });
    const spans = otel.spans();
    expect(spans.map((s) => [s.name, s.kind])).toEqual([
      ['calc.add', SpanKind.SERVER],
      ['calc.add', SpanKind.CLIENT],
    ]);
    const [server, client] = spans as [ReadableSpan, ReadableSpan];
    expect(client.attributes).toEqual({
      'rpc.system.name': 'udprpc',
      'rpc.method': 'calc.add',
      'server.address': rig.serverAddress.address,
      'server.port': rig.serverAddress.port,
      'rpc.status_code': 'OK',
      'udprpc.attempts': 1,
    });
    expect(server.attributes).toEqual({
      'rpc.system.name': 'udprpc',
      'rpc.method': 'calc.add',
      'network.peer.address': rig.clientAddress.address,
      'network.peer.port': rig.clientAddress.port,
      'rpc.status_code': 'OK',
    });
    expect(client.status).toEqual({ code: SpanStatusCode.UNSET });
    expect(server.status).toEqual({ code: SpanStatusCode.UNSET });
    expect(client.events).toEqual([]);
    expect(client.instrumentationScope).toMatchObject({ name: '@udprpc/otel', version: '0.1.0' });
  });

  it('a failing call: status ERROR with the RpcError message, rpc.status_code and error.type the code, on both sides', async () => {
    otel = startOtel();
    rig = await startRig();
    const [r] = await settleAll(rig.clock, [rig.client.stub(calc).refuse(4)]);
    expect(r.status).toBe('rejected');
    const [server, client] = otel.spans() as [ReadableSpan, ReadableSpan];
    for (const span of [client, server]) {
      expect(span.name).toBe('calc.refuse');
      expect(span.status).toEqual({ code: SpanStatusCode.ERROR, message: 'refused 4' });
      expect(span.attributes['rpc.status_code']).toBe('FAILED_PRECONDITION');
      expect(span.attributes['error.type']).toBe('FAILED_PRECONDITION');
    }
    expect([client.kind, server.kind]).toEqual([SpanKind.CLIENT, SpanKind.SERVER]);
  });

  it('a local timeout: DEADLINE_EXCEEDED, one retransmission event per retransmission, in order', async () => {
    otel = startOtel();
    rig = await startRig();
    // A client whose peer never answers (a sim address nobody listens on).
    const nowhere = rig.network.endpoint().address;
    const client = createClient({ transport: rig.network.endpoint(), clock: rig.clock, random: createRandom(9), peer: nowhere, timeoutMs: 1000 });
    await client.connect();
    const [r] = await settleAll(rig.clock, [client.stub(calc).add({ a: 1, b: 1 })]);
    await client.close();
    expect(r.status).toBe('rejected');
    const spans = otel.spans();
    expect(spans).toHaveLength(1);
    const span = spans[0]!;
    const n = client.stats().retransmits;
    expect(n).toBeGreaterThan(1);
    expect(span.events.map((e) => e.name)).toEqual(Array<string>(n).fill('udprpc.retransmit'));
    expect(span.events.map((e) => e.attributes?.['udprpc.attempt'])).toEqual(Array.from({ length: n }, (_, i) => i + 1));
    for (const e of span.events) expect(e.attributes?.['udprpc.rto_ms']).toEqual(expect.any(Number));
    expect(span.attributes).toMatchObject({ 'udprpc.attempts': n + 1, 'rpc.status_code': 'DEADLINE_EXCEEDED', 'error.type': 'DEADLINE_EXCEEDED' });
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
  });

  it('over a lossy network: each call span has exactly its own retransmissions as events', async () => {
    otel = startOtel();
    rig = await startRig({ pair: { seed: 5, conditions: { delayMs: 1, loss: 0.3 } } });
    const stub = rig.client.stub(calc);
    const results = await settleAll(
      rig.clock,
      Array.from({ length: 20 }, (_, i) => stub.echo(i, { timeoutMs: 30_000 })),
    );
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    const clients = byKind(otel.spans(), SpanKind.CLIENT);
    expect(clients).toHaveLength(20);
    const retransmits = clients.flatMap((s) => s.events.filter((e) => e.name === 'udprpc.retransmit'));
    // Not vacuous: the loss made the client retransmit; every retransmission is on exactly one span.
    expect(rig.client.stats().retransmits).toBeGreaterThan(3);
    expect(retransmits).toHaveLength(rig.client.stats().retransmits);
    for (const span of clients) {
      const events = span.events.filter((e) => e.name === 'udprpc.retransmit');
      // A call's retransmissions count up from 1, and its attempts are one more.
      expect(events.map((e) => e.attributes?.['udprpc.attempt'])).toEqual(events.map((_, i) => i + 1));
      expect(span.attributes['udprpc.attempts']).toBe(events.length + 1);
    }
    // One SERVER span per run of the handler (an idempotent call whose reply was lost may run again).
    const runs = rig.server.stats().methods['calc.echo']!.count;
    expect(runs).toBeGreaterThanOrEqual(20);
    expect(byKind(otel.spans(), SpanKind.SERVER)).toHaveLength(runs);
  });

  it('a multi-endpoint client: retransmissions of its routed attempts are events of the call span too', async () => {
    otel = startOtel();
    rig = await startRig({ pair: { seed: 11, conditions: { delayMs: 1, loss: 0.3 } } });
    const client = createClient({ transport: rig.network.endpoint(), clock: rig.clock, random: createRandom(5), peers: [rig.serverAddress], timeoutMs: 30_000 });
    await client.connect();
    // One call at a time, so each goes in its own datagrams and the loss hits some of them.
    for (let i = 0; i < 10; i++) expect(await settleAll(rig.clock, [client.stub(calc).echo(i)])).toEqual([{ status: 'fulfilled', value: i }]);
    await client.close();
    const spans = byKind(otel.spans(), SpanKind.CLIENT);
    expect(spans).toHaveLength(10);
    const events = spans.flatMap((s) => s.events.filter((e) => e.name === 'udprpc.retransmit'));
    expect(client.stats().retransmits).toBeGreaterThan(2);
    expect(events).toHaveLength(client.stats().retransmits);
  });

  it('pushback: the refused call gets a udprpc.pushback event with the server’s pause', async () => {
    otel = startOtel();
    rig = await startRig({ server: { admission: { maxRunning: 1, maxQueued: 0, retryAfterMs: 50 } } });
    const stub = rig.client.stub(calc);
    const results = await settleAll(rig.clock, [stub.wait(120), stub.wait(1)]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled']);
    const pushbacks = rig.client.stats().pushbacks;
    expect(pushbacks).toBeGreaterThan(0);
    const events = byKind(otel.spans(), SpanKind.CLIENT).flatMap((s) => s.events.filter((e) => e.name === 'udprpc.pushback').map((e) => ({ span: s, e })));
    expect(events.map(({ e }) => e.name)).toEqual(Array<string>(pushbacks).fill('udprpc.pushback'));
    expect(events[0]!.e.attributes).toEqual({ 'udprpc.attempt': 1, 'udprpc.retry_after_ms': 50 });
    // All on the second call (the first one holds the only slot).
    expect(new Set(events.map(({ span }) => span.attributes['udprpc.attempts']))).toEqual(new Set([pushbacks + 1]));
  });

  it('an unknown method: the server span is named udprpc with rpc.method _OTHER and the original name', async () => {
    otel = startOtel();
    rig = await startRig();
    const [r] = await settleAll(rig.clock, [rig.client.call('calc.v2', 'nope', 1)]);
    expect(r.status).toBe('rejected');
    const [server, client] = otel.spans() as [ReadableSpan, ReadableSpan];
    expect(server.name).toBe('udprpc');
    expect(server.attributes).toMatchObject({ 'rpc.method': '_OTHER', 'rpc.method_original': 'calc.v2.nope', 'rpc.status_code': 'NOT_FOUND' });
    // The client named the method itself: it keeps the name.
    expect(client.name).toBe('calc.v2.nope');
    expect(client.attributes['rpc.method']).toBe('calc.v2.nope');
  });

  it('the client span is a child of the span active when the call is made', async () => {
    otel = startOtel();
    rig = await startRig();
    const parent = otel.tracer.startSpan('parent');
    const call = within(trace.setSpan(ROOT_CONTEXT, parent), () => rig!.client.stub(calc).add({ a: 1, b: 1 }));
    await settleAll(rig.clock, [call]);
    const client = byKind(otel.spans(), SpanKind.CLIENT)[0]!;
    expect(client.parentSpanContext?.spanId).toBe(parent.spanContext().spanId);
    expect(client.spanContext().traceId).toBe(parent.spanContext().traceId);
  });

  it('trace context in the call metadata: the server span is a child of the client span', async () => {
    otel = startOtel();
    // What the server's handler received as metadata: the injected traceparent, and the caller's own key.
    let seen: Record<string, unknown> = {};
    rig = await startRig({
      server: {
        interceptors: [
          (next) => (req) => {
            seen = req.ctx.metadata.toObject();
            return next(req);
          },
        ],
      },
    });
    await settleAll(rig.clock, [rig.client.stub(calc).add({ a: 1, b: 1 }, { metadata: { tenant: 'a' } })]);
    const [server, client] = otel.spans() as [ReadableSpan, ReadableSpan];
    const c = client.spanContext();
    expect(server.spanContext().traceId).toBe(c.traceId);
    expect(server.parentSpanContext).toMatchObject({ traceId: c.traceId, spanId: c.spanId, isRemote: true });
    expect(seen).toEqual({ tenant: 'a', traceparent: `00-${c.traceId}-${c.spanId}-01` });
  });

  it('enable() and disable() subscribe and unsubscribe: no spans while disabled, spans again after', async () => {
    otel = startOtel();
    rig = await startRig();
    const stub = rig.client.stub(calc);
    otel.instrumentation.disable();
    otel.instrumentation.disable(); // idempotent
    await settleAll(rig.clock, [stub.add({ a: 1, b: 1 })]);
    expect(otel.spans()).toEqual([]);
    otel.instrumentation.enable();
    otel.instrumentation.enable(); // idempotent: still one span per call and side
    await settleAll(rig.clock, [stub.add({ a: 2, b: 2 })]);
    expect(otel.spans().map((s) => s.kind)).toEqual([SpanKind.SERVER, SpanKind.CLIENT]);
  });
});
