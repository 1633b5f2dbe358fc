// Issue 18, first bullet: a dead endpoint is found within a few round trips
// — from retransmissions that draw neither ACK nor reply while the other
// endpoints answer, or from ICMP refusals — and the idempotent calls in
// flight there move at once. A slow server keeps ACKing retransmissions, so
// it is not dead. Virtual time on a SimNetwork with loopback-like delays
// (0.05–0.2 ms each way), 3 servers, 300 ms handlers, a call every 5 ms.
import { describe, expect, it } from 'vitest';
import { FrameType } from '@udprpc/core/wire';
import { runKill } from './kill-scenario.js';

const KILL_AT = 1000;

describe('fast dead-endpoint detection', () => {
  it('a server cut off under load is ejected within 300 ms; its idempotent calls move at once and end within 1 s; none fails', async () => {
    const run = await runKill({ seed: 181, kill: 'partition', killAtMs: KILL_AT });
    const ejected = run.health.filter((h) => h.peer === run.victim && h.state === 'ejected');
    expect(ejected[0]!.at).toBeGreaterThan(KILL_AT);
    expect(ejected[0]!.at - KILL_AT).toBeLessThanOrEqual(300);
    expect(run.calls.filter((c) => !c.ok)).toEqual([]);
    const affected = run.affected();
    expect(affected.length).toBeGreaterThan(0);
    const lastDone = Math.max(...affected.map((c) => c.endedAt));
    expect(lastDone - KILL_AT).toBeLessThanOrEqual(1000);
    // Every affected call ended on another server.
    expect(affected.every((c) => c.server !== run.victim)).toBe(true);
    // The ejection moved exactly the attempts still in flight there: each of
    // them is a call sent to the victim and then to one other server.
    const ejection = run.failover.find((f) => f.event === 'ejected');
    expect(ejection).toMatchObject({ peer: { address: run.victim }, reason: 'silent' });
    expect(ejection!.moved).toBe(ejection!.calls);
    const movedAtEjection = affected.filter((c) => c.startedAt < ejection!.at && c.endedAt > ejection!.at);
    expect(ejection!.moved).toBe(movedAtEjection.length);
    for (const c of movedAtEjection) expect(run.sim.tap.destinations(c.tag).size).toBe(2);
    expect(run.sim.net.stats().inFlight).toBe(0);
    // Probed back with PING, never with a caller's call: each unanswered
    // PING ejects it again for twice
    // as long (1 s, 2 s, 4 s, … × [0.8, 1.2)).
    const again = run.failover.slice(1);
    expect(again.length).toBeGreaterThanOrEqual(3);
    expect(again.every((f) => f.event === 'ejected' && f.reason === 'silent' && f.calls === 0)).toBe(true);
    // (Keepalive PINGs go to endpoints with calls in flight that fell quiet; after its ejection the victim has none.)
    const pings = run.sim.tap.frames.filter((f) => f.frame.type === FrameType.PING && f.to.address === run.victim && f.at > ejected[0]!.at);
    expect(pings.length - again.length).toBeGreaterThanOrEqual(0);
    expect(pings.length - again.length).toBeLessThanOrEqual(1); // the last may still wait for its answer
    // The wait for the PONG: twice the RTO (which froze at the kill), at least 150 ms.
    const waitMs = Math.max(2 * run.sim.client.endpoints()[0]!.rtoMs!, 150);
    run.failover.forEach((f, k) => {
      if (k === 0) return;
      const gap = f.at - run.failover[k - 1]!.at - waitMs;
      expect(gap).toBeGreaterThanOrEqual(800 * 2 ** (k - 1));
      expect(gap).toBeLessThan(1200 * 2 ** (k - 1));
      expect(pings[k - 1]!.at).toBe(f.at - waitMs);
    });
    // No call went to the victim after its ejection.
    expect(run.sim.tap.frames.filter((f) => f.to.address === run.victim && f.frame.type === FrameType.REQUEST && f.at > ejected[0]!.at)).toEqual([]);
    await run.sim.close();
  });

  it('mixed load, socket closed silently: 0 idempotent calls fail, no non-idempotent call runs twice or reaches two servers', async () => {
    const run = await runKill({ seed: 182, kill: 'close', killAtMs: KILL_AT, idempotent: (i) => i % 2 === 0 });
    const ejected = run.health.find((h) => h.peer === run.victim && h.state === 'ejected');
    expect(ejected!.at - KILL_AT).toBeLessThanOrEqual(300);
    expect(run.calls.filter((c) => c.idempotent && !c.ok)).toEqual([]);
    const lastIdempotent = Math.max(...run.affected().filter((c) => c.idempotent).map((c) => c.endedAt));
    expect(lastIdempotent - KILL_AT).toBeLessThanOrEqual(1000);
    expect(run.sim.net.stats().inFlight).toBe(0);
    for (const c of run.calls.filter((x) => !x.idempotent)) {
      expect(run.sim.runs.get(c.tag) ?? 0, `runs of ${c.tag}`).toBeLessThanOrEqual(1);
      expect(run.sim.tap.destinations(c.tag).size, `servers of ${c.tag}`).toBe(1);
    }
    // Non-idempotent calls in flight on the dead server fail at its ejection
    // with UNAVAILABLE (they may have run there, so they go nowhere else).
    const stranded = run.affected().filter((c) => !c.idempotent);
    expect(stranded.length).toBeGreaterThan(0);
    for (const c of stranded) expect(c).toMatchObject({ ok: false, code: 'UNAVAILABLE', mayHaveRun: true, endedAt: ejected!.at });
    await run.sim.close();
  });

  it('ICMP refusals: the endpoint is ejected at its third refusal in a row, reason "refused"', async () => {
    const run = await runKill({ seed: 183, kill: 'refuse', killAtMs: KILL_AT });
    const ejection = run.failover.find((f) => f.event === 'ejected');
    expect(ejection).toMatchObject({ peer: { address: run.victim }, reason: 'refused' });
    expect(ejection!.at - KILL_AT).toBeLessThanOrEqual(300);
    expect(run.calls.filter((c) => !c.ok)).toEqual([]);
    const lastDone = Math.max(...run.affected().map((c) => c.endedAt));
    expect(lastDone - KILL_AT).toBeLessThanOrEqual(1000);
    await run.sim.close();
  });

  it('a server dies while its only calls are long ones, ACKed and probed once a second: keepalive PINGs find it within 300 ms', async () => {
    // 3 s handlers, a call every 400 ms: at the kill the victim's calls are ACKed and
    // their probes are up to a second apart, and the balancer sends it no new call.
    const run = await runKill({ seed: 186, kill: 'partition', killAtMs: 3500, handlerMs: 3000, everyMs: 400, untilMs: 5000 });
    const ejection = run.failover.find((f) => f.event === 'ejected');
    expect(ejection).toMatchObject({ peer: { address: run.victim }, reason: 'silent' });
    expect(ejection!.at - 3500).toBeLessThanOrEqual(300);
    expect(ejection!.moved).toBeGreaterThan(0);
    // (Calls moved late in their 5 s may run out of time on a 3 s handler: that is the deadline, not the failover.)
    await run.sim.close();
  });

  it('slow is not dead: a server whose handlers take 3 s ACKs every retransmission and is never ejected', async () => {
    const run = await runKill({ seed: 184, kill: 'partition', killAtMs: 60_000, untilMs: 3000, serverDelayMs: (i) => (i === 0 ? 3000 : 0) });
    expect(run.health).toEqual([]);
    expect(run.failover).toEqual([]);
    expect(run.sim.client.stats().routing).toMatchObject({ ejections: 0, failovers: 0 });
    expect(run.calls.every((c) => c.ok)).toBe(true);
    // The slow server did get its share of calls (and ACKed their retransmissions).
    expect(run.calls.filter((c) => c.server === 's0').length).toBeGreaterThan(0);
    await run.sim.close();
  });

  it('an ejected server that comes back is re-admitted by a trial call; the channel reports both', async () => {
    const run = await runKill({ seed: 185, kill: 'partition', killAtMs: KILL_AT, healAtMs: 1500, untilMs: 4000 });
    expect(run.failover.map((f) => [f.event, f.peer.address, f.reason])).toEqual([
      ['ejected', 's0', 'silent'],
      // The trial's retransmission draws an ACK before its reply: any datagram brings back an endpoint ejected for silence.
      ['readmitted', 's0', 'heard'],
    ]);
    const [out, back] = run.failover;
    // Back after the first ejection period (1 s, jittered ×[0.8, 1.2)), by its one trial.
    expect(back!.at - out!.at).toBeGreaterThanOrEqual(800);
    expect(back!.at - out!.at).toBeLessThan(1200 + 400);
    expect(run.calls.every((c) => c.ok)).toBe(true);
    expect(run.sim.client.endpoints().map((e) => e.state)).toEqual(['healthy', 'healthy', 'healthy']);
    await run.sim.close();
  });
});
