// How a multi-endpoint call's attempts behave at the edges: which errors move
// an idempotent call, ACKs keeping a slow call in place, aborts and close.
import { describe, expect, it } from 'vitest';
import { FrameType } from '@udprpc/core/wire';
import { RpcError, type ClientInterceptor, type PeerAddress } from 'udprpc';
import { settleAll } from '@udprpc/testkit';
import { startSimCluster, svc } from './sim-cluster.js';

describe('attempts of a multi-endpoint call', () => {
  it('a remote UNAVAILABLE moves an idempotent call to another server; other remote errors do not', async () => {
    const sim = await startSimCluster({
      seed: 31,
      servers: 2,
      client: { balancer: 'round-robin' },
      serverError: (i) => (i === 0 ? new RpcError('UNAVAILABLE', 'draining') : undefined),
    });
    const stub = sim.client.stub(svc);
    const [get, put] = await settleAll(sim.clock, [stub.get({ tag: 1, delayMs: 0 }), stub.put({ tag: 2, delayMs: 0 })]);
    // get went to s0 first (round robin), got UNAVAILABLE, failed over to s1.
    expect(get).toMatchObject({ status: 'fulfilled', value: { server: 's1' } });
    expect(sim.client.stats().routing.failovers).toBe(1);
    // put (non-idempotent) went to s1 and succeeded; one more put lands on s0 and keeps its error.
    expect(put).toMatchObject({ status: 'fulfilled', value: { server: 's1' } });
    const [put2] = await settleAll(sim.clock, [stub.put({ tag: 3, delayMs: 0 })]);
    expect(put2).toMatchObject({ status: 'rejected', reason: { code: 'UNAVAILABLE', remote: true } });
    await sim.close();

    const notFound = await startSimCluster({
      seed: 32,
      servers: 2,
      client: { balancer: 'round-robin' },
      serverError: (i) => (i === 0 ? new RpcError('NOT_FOUND', 'no such key') : undefined),
    });
    const [r] = await settleAll(notFound.clock, [notFound.client.stub(svc).get({ tag: 1, delayMs: 0 })]);
    expect(r).toMatchObject({ status: 'rejected', reason: { code: 'NOT_FOUND', remote: true } });
    expect(notFound.client.stats().routing.failovers).toBe(0);
    await notFound.close();
  });

  it('an idempotent call whose server ACKs ("still running") stays there past its attempt timeout', async () => {
    const sim = await startSimCluster({ seed: 33, servers: 2, client: { balancer: 'round-robin' } });
    const stub = sim.client.stub(svc);
    // 5 s deadline: the first attempt's timeout is 2.5 s; the handler takes 4 s and is ACKed meanwhile.
    const [r] = await settleAll(sim.clock, [stub.get({ tag: 1, delayMs: 4000 })], { maxTimeMs: 60_000 });
    expect(r).toMatchObject({ status: 'fulfilled', value: { server: 's0' } });
    expect(sim.client.stats().routing.failovers).toBe(0);
    expect(sim.runs.get(1)).toBe(1);
    await sim.close();
  });

  it('without ACKs (server cut off), the attempt times out after half the time left and the call moves', async () => {
    const sim = await startSimCluster({ seed: 34, servers: 2, client: { balancer: 'round-robin' } });
    const moves: { from: string; to: string; at: number }[] = [];
    sim.client.on('failover', (info) => moves.push({ from: info.from.address, to: info.to.address, at: sim.clock.now() }));
    sim.net.partition(['client'], ['s0']);
    const [r] = await settleAll(sim.clock, [sim.client.stub(svc).get({ tag: 1, delayMs: 0 }, { timeoutMs: 4000 })]);
    expect(r).toMatchObject({ status: 'fulfilled', value: { server: 's1' } });
    expect(moves).toEqual([{ from: 's0', to: 's1', at: 2000 }]);
    expect(sim.tap.count(FrameType.CANCEL, 's0')).toBe(1); // the abandoned attempt is cancelled
    await sim.close();
  });

  it('aborting a hedged call cancels every attempt and tells both servers', async () => {
    const sim = await startSimCluster({ seed: 35, servers: 2, client: { balancer: 'round-robin', hedging: { enabled: true, delayMs: 100 } } });
    const controller = new AbortController();
    const call = sim.client.stub(svc).get({ tag: 1, delayMs: 1000 }, { signal: controller.signal });
    sim.clock.setTimer(300, () => controller.abort());
    const [r] = await settleAll(sim.clock, [call]);
    expect(r).toMatchObject({ status: 'rejected', reason: { code: 'CANCELLED' } });
    expect(sim.client.stats().routing.hedges).toBe(1);
    expect(sim.tap.count(FrameType.CANCEL, 's0')).toBe(1);
    expect(sim.tap.count(FrameType.CANCEL, 's1')).toBe(1);
    expect(sim.client.endpoints().map((e) => [e.outstanding, e.consecutiveFailures])).toEqual([
      [0, 0],
      [0, 0],
    ]);
    await sim.close();
  });

  it('close() fails calls in flight with CANCELLED and does not fail them over', async () => {
    const sim = await startSimCluster({ seed: 36, servers: 3 });
    const calls = Array.from({ length: 6 }, (_, i) => sim.client.stub(svc).get({ tag: i, delayMs: 1000 }));
    sim.clock.setTimer(50, () => void sim.client.close());
    const results = await settleAll(sim.clock, calls);
    for (const r of results) expect(r).toMatchObject({ status: 'rejected', reason: { code: 'CANCELLED' } });
    expect(sim.client.stats().routing.failovers).toBe(0);
    await sim.close();
  });

  it('interceptors see the endpoint chosen for the first attempt as req.peer', async () => {
    const seen: PeerAddress[] = [];
    const spy: ClientInterceptor = (next) => (req) => {
      seen.push(req.peer);
      return next(req);
    };
    const sim = await startSimCluster({ seed: 37, servers: 2, client: { balancer: 'round-robin', interceptors: [spy] } });
    const stub = sim.client.stub(svc);
    const results = await settleAll(sim.clock, [stub.put({ tag: 1, delayMs: 0 }), stub.put({ tag: 2, delayMs: 0 })]);
    expect(seen.map((p) => p.address)).toEqual(['s0', 's1']);
    expect(results.map((r) => (r.status === 'fulfilled' ? r.value.server : 'x'))).toEqual(['s0', 's1']);
    await sim.close();
  });

  it('an interceptor that answers without calling next gives its reservation back', async () => {
    const shortCircuit: ClientInterceptor = () => async () => ({ tag: 0, server: 'cache' });
    const sim = await startSimCluster({ seed: 38, servers: 2, client: { interceptors: [shortCircuit] } });
    const [r] = await settleAll(sim.clock, [sim.client.stub(svc).get({ tag: 1, delayMs: 0 })]);
    expect(r).toMatchObject({ status: 'fulfilled', value: { server: 'cache' } });
    expect(sim.client.endpoints().map((e) => e.outstanding)).toEqual([0, 0]);
    await sim.close();
  });
});

describe('ACKs inside a BATCH also keep an attempt alive', () => {
  it('a raw server that only ACKs, in BATCH frames, keeps the call from failing over until its deadline', async () => {
    const { decodeFrame, encodeBatch, encodeFrame } = await import('@udprpc/core/wire');
    const { SimNetwork, VirtualClock, createRandom } = await import('@udprpc/testkit');
    const { createClient } = await import('udprpc');
    for (const batched of [true, false]) {
      const clock = new VirtualClock();
      const net = new SimNetwork({ clock, seed: 1 });
      const raw = net.endpoint('raw');
      const other = net.endpoint('other'); // listens, never answers
      await other.listen(() => {}, () => {});
      await raw.listen((bytes, from) => {
        const f = decodeFrame(bytes);
        if (!f.ok || f.value.type !== FrameType.REQUEST) return;
        const ack = encodeFrame({ type: FrameType.ACK, flags: 0, attempt: f.value.attempt, session: f.value.session, id: f.value.id }, new Uint8Array(0));
        raw.send(batched ? encodeBatch([ack, ack]) : ack, from);
      }, () => {});
      const client = createClient({ transport: net.endpoint('client'), peers: [raw.address, other.address], balancer: 'round-robin', clock, random: createRandom(3) });
      const moves: number[] = [];
      client.on('failover', () => moves.push(clock.now()));
      const [r] = await settleAll(clock, [client.call('svc', 'get', { tag: 1 }, { idempotent: true, timeoutMs: 5000 })]);
      // Kept on `raw` by its ACKs (no failover), the call ends at its deadline.
      expect(r).toMatchObject({ status: 'rejected', reason: { code: 'DEADLINE_EXCEEDED' } });
      expect(moves).toEqual([]);
      await client.close();
    }
  });
});
