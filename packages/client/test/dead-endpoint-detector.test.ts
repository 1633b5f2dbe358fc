// The dead-endpoint detector and the routing timer heap on their own: an
// injected `now`, exact times.
import { describe, expect, it } from 'vitest';
import { createBalancer } from '../src/balancer.js';
import { DeadEndpointDetector } from '../src/dead-endpoint-detector.js';
import { EndpointSet, type Endpoint } from '../src/endpoint-set.js';
import { defaultHealthPolicy } from '../src/routing-policy.js';
import { RoutingTimers } from '../src/routing-timers.js';

function rig(rtoMs = 30) {
  let now = 0;
  const kicks: number[] = [];
  const timers = new RoutingTimers(() => now, () => kicks.push(now));
  const endpoints = new EndpointSet(defaultHealthPolicy, createBalancer('round-robin', Math.random), Math.random, () => ({ srttMs: 1, rtoMs }));
  endpoints.update([
    { address: 'a', family: 'sim', port: 1 },
    { address: 'b', family: 'sim', port: 1 },
  ]);
  const [a, b] = endpoints.list as [Endpoint, Endpoint];
  const dead: [string, string, number][] = [];
  const detector = new DeadEndpointDetector(
    {
      endpoints,
      now: () => now,
      setTimer: (delayMs, callback) => timers.setTimer(delayMs, callback),
      answerWindowMs: (e) => e.rtoMs!,
      onDead: (e, reason, at) => void dead.push([e.peer.address, reason, at]),
    },
    defaultHealthPolicy,
    3,
  );
  const runTo = (t: number): void => {
    for (let next = timers.nextTimerAt(); next !== undefined && next <= t; next = timers.nextTimerAt()) {
      now = next;
      timers.onTimer(now);
    }
    now = t;
  };
  const at = (t: number, f: () => void): void => {
    runTo(t);
    f();
  };
  return { a, b, detector, dead, timers, kicks, runTo, at, now: () => now };
}

describe('DeadEndpointDetector', () => {
  it('3 retransmissions unanswered for their RTO, 150 ms of silence, another endpoint heard: dead at exactly max(3rd + RTO, 1st + 150 ms)', () => {
    const r = rig();
    r.at(0, () => r.detector.retransmitted(r.a, 0));
    r.at(5, () => r.detector.heard(r.b, 5));
    r.at(10, () => r.detector.retransmitted(r.a, 10));
    r.at(140, () => r.detector.retransmitted(r.a, 140));
    r.runTo(169);
    expect(r.dead).toEqual([]);
    r.runTo(1000);
    expect(r.dead).toEqual([['a', 'silent', 170]]); // 140 + 30 > 0 + 150
  });

  it('any datagram from the endpoint wipes the evidence', () => {
    const r = rig();
    r.at(0, () => r.detector.retransmitted(r.a, 0));
    r.at(5, () => r.detector.heard(r.b, 5));
    r.at(10, () => r.detector.retransmitted(r.a, 10));
    r.at(20, () => r.detector.retransmitted(r.a, 20));
    r.at(100, () => r.detector.heard(r.a, 100));
    r.runTo(5000);
    expect(r.dead).toEqual([]);
    expect(r.timers.size).toBe(0);
    expect(r.a.liveness.unanswered).toEqual([]);
  });

  it('two retransmissions are not enough, however long the silence', () => {
    const r = rig();
    r.at(0, () => r.detector.retransmitted(r.a, 0));
    r.at(1, () => r.detector.heard(r.b, 1));
    r.at(10, () => r.detector.retransmitted(r.a, 10));
    r.runTo(60_000);
    expect(r.dead).toEqual([]);
  });

  it('while no other endpoint answers either, nobody is declared dead; the first answer from another one settles it', () => {
    const r = rig();
    r.at(0, () => r.detector.heard(r.b, 0)); // before the silence began: does not count
    r.at(1, () => r.detector.retransmitted(r.a, 1));
    r.at(2, () => r.detector.retransmitted(r.a, 2));
    r.at(3, () => r.detector.retransmitted(r.a, 3));
    r.runTo(400);
    expect(r.dead).toEqual([]);
    expect(r.timers.size).toBe(0); // waits for an answer, not a timer
    r.at(401, () => r.detector.heard(r.b, 401));
    expect(r.dead).toEqual([['a', 'silent', 401]]);
  });

  it('a larger RTO widens the window: with a 200 ms RTO the third retransmission waits 200 ms', () => {
    const r = rig(200);
    r.at(0, () => r.detector.heard(r.b, 0));
    r.at(1, () => r.detector.retransmitted(r.a, 1));
    r.at(2, () => r.detector.heard(r.b, 2));
    r.at(201, () => r.detector.retransmitted(r.a, 201));
    r.at(601, () => r.detector.retransmitted(r.a, 601));
    r.runTo(800);
    expect(r.dead).toEqual([]);
    r.runTo(801);
    expect(r.dead).toEqual([['a', 'silent', 801]]);
  });

  it('ICMP refusals: dead at the third in a row; a datagram in between starts the count again', () => {
    const r = rig();
    r.detector.refused(r.a, 0);
    r.detector.refused(r.a, 1);
    r.detector.heard(r.a, 2);
    r.detector.refused(r.a, 3);
    r.detector.refused(r.a, 4);
    expect(r.dead).toEqual([]);
    r.detector.refused(r.a, 5);
    expect(r.dead).toEqual([['a', 'refused', 5]]);
  });
});

describe('RoutingTimers', () => {
  it('one heap: the earliest deadline first, ties in the order set, cancelled ones never run, each set re-arms the driver', () => {
    let now = 100;
    const kicks: number[] = [];
    const timers = new RoutingTimers(() => now, () => kicks.push(now));
    const ran: string[] = [];
    timers.setTimer(50, () => ran.push('b'));
    timers.setTimer(10, () => ran.push('a'));
    const c = timers.setTimer(50, () => ran.push('c'));
    timers.setTimer(50, () => ran.push('d'));
    timers.setTimer(-5, () => ran.push('now'));
    expect(timers.size).toBe(5);
    expect(timers.nextTimerAt()).toBe(100);
    expect(kicks).toEqual([100, 100, 100, 100, 100]);
    c.cancel();
    now = 149;
    timers.onTimer(now);
    expect(ran).toEqual(['now', 'a']);
    now = 150;
    timers.onTimer(now);
    expect(ran).toEqual(['now', 'a', 'b', 'd']);
    expect(timers.size).toBe(0);
    expect(timers.nextTimerAt()).toBeUndefined();
  });
});
