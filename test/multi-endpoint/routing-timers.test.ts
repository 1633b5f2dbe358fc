// Issue 13 (a non-reentrant engine host) for the multi-endpoint layer: the
// attempt timeouts, hedge delays and endpoint re-resolution of a client live
// in the heap its engine driver serves, so the clock holds ONE timer for the
// client however many calls are in flight, armed at the earliest deadline.
import { describe, expect, it } from 'vitest';
import { createClient, type LookupAddress } from 'udprpc';
import { createRandom, settleAll, SimNetwork, VirtualClock } from '@udprpc/testkit';
import { startSimCluster, svc } from './sim-cluster.js';

describe('multi-endpoint timers use the engine driver, not timers of their own', () => {
  it('10 hedged calls in flight (10 attempt timeouts, 10 hedge delays, 10 retransmissions, the keepalive sweep) hold exactly one clock timer, at the earliest', async () => {
    const sim = await startSimCluster({ seed: 41, servers: 3, client: { hedging: { enabled: true, delayMs: 100 } } });
    // Every datagram is dropped when sent, so the network holds no timer either.
    sim.net.partition(['client'], ['s0', 's1', 's2']);
    await sim.clock.flushMicrotasks();
    const idle = sim.clock.pendingTimers;
    const t0 = sim.clock.now();
    const stub = sim.client.stub(svc);
    const calls = Array.from({ length: 10 }, (_, i) => stub.get({ tag: i + 1, delayMs: 0 }));
    await sim.clock.flushMicrotasks();
    expect(sim.client.stats().inFlight).toBe(10);
    expect(sim.clock.pendingTimers).toBe(idle + 1);
    // The earliest deadline is the keepalive sweep (50 ms), then the hedge delay (100 ms); the first retransmission is an RTO of 200 ms × [0.8, 1.2) away.
    expect(sim.clock.nextTimerAt()).toBe(t0 + 50);
    await sim.clock.runFor(150);
    expect(sim.client.stats().routing.hedges).toBe(10);
    expect(sim.client.stats().inFlight).toBe(20);
    expect(sim.clock.pendingTimers).toBe(idle + 1);
    const results = await settleAll(sim.clock, calls, { maxTimeMs: 60_000 });
    expect(results.every((r) => r.status === 'rejected')).toBe(true);
    // Nothing left behind: once the last dead-endpoint checks ran, the driver disarms.
    await sim.clock.runFor(1000);
    expect(sim.clock.pendingTimers).toBe(idle);
    await sim.close();
  });

  it('re-resolution of host names runs on the same one timer: an idle client holds one timer, due at the next resolution', async () => {
    const clock = new VirtualClock();
    const net = new SimNetwork({ clock, seed: 42 });
    const server = net.endpoint('10.0.0.1');
    await server.listen(() => {}, () => {}); // listens, never answers
    const lookup = async (): Promise<LookupAddress[]> => [{ address: '10.0.0.1', family: 4 }];
    const client = createClient({
      transport: net.endpoint('client'),
      urls: ['udp://svc.internal:1'],
      lookup,
      resolveIntervalMs: 10_000,
      clock,
      random: createRandom(1),
    });
    await client.connect();
    await clock.flushMicrotasks();
    const connectedAt = clock.now();
    expect(clock.pendingTimers).toBe(1);
    expect(clock.nextTimerAt()).toBe(connectedAt + 10_000);
    // A call in flight shares that timer (its first retransmission comes first).
    const call = client.call('svc', 'get', { tag: 1 }, { idempotent: true, timeoutMs: 1000 });
    await clock.flushMicrotasks();
    expect(clock.pendingTimers - net.stats().inFlight).toBe(1);
    const [r] = await settleAll(clock, [call]);
    expect(r).toMatchObject({ status: 'rejected', reason: { code: 'DEADLINE_EXCEEDED' } });
    await clock.runFor(10_000);
    expect(clock.pendingTimers - net.stats().inFlight).toBe(1);
    await client.close();
    expect(clock.pendingTimers - net.stats().inFlight).toBe(0);
  });
});
