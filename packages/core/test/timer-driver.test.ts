// One real timer per engine (CONVENTIONS.md "Time is a parameter"; quic-go's
// maybeResetTimer): whatever the number of calls, transfers and entries in
// flight, the engine's TimerDriver keeps at most ONE timer pending on the
// clock, re-arms only when the earliest deadline moved earlier, and cancels
// the timer it replaces. The ManualClock counts every arm, cancel and fire.
import { describe, expect, it } from 'vitest';
import { ClientEngine } from '../src/client/client-engine.js';
import { TimerDriver } from '../src/timer/engine-driver.js';
import { EngineHost } from '../src/timer/engine-host.js';
import { FrameType } from '../src/wire/frame-header.js';
import { encodeFrame } from '../src/wire/frame.js';
import { encodeRequestFrame } from '../src/wire/request-body.js';
import type { IncomingCall } from '../src/server/server-engine-types.js';
import { ServerEngine } from '../src/server/server-engine.js';
import { CLIENT, ManualClock, METHOD, seeded, SERVER } from './engine-pair.js';

/** Asserts the clock's books balance and at most one timer is pending. */
function expectOneTimer(clock: ManualClock): void {
  expect(clock.pending, `timers pending at t=${clock.now()}`).toBeLessThanOrEqual(1);
  expect(clock.armed - clock.cancelled - clock.fired).toBe(clock.pending);
}

describe('TimerDriver: at most one pending timer per engine', () => {
  it('client: 200 calls to a dead server, started over 2 s: never more than one timer pending, none left after the last deadline', () => {
    const clock = new ManualClock();
    const engine = new ClientEngine({ send: () => {}, random: seeded(3) });
    const driver = new TimerDriver(engine, clock);
    let settled = 0;
    for (let i = 0; i < 200; i++) {
      const startAt = i * 10;
      // Let every timer due before this call's start fire first.
      while (clock.nextAt() !== undefined && clock.nextAt()! <= startAt) {
        clock.fireNext();
        expectOneTimer(clock);
      }
      clock.advanceTo(startAt);
      // Deadlines vary, so some new calls move the earliest deadline earlier.
      const id = engine.call({ peer: SERVER, method: METHOD, payload: new Uint8Array(8), deadlineAt: startAt + 300 + ((i * 7919) % 4000) }, startAt, () => settled++);
      expect(typeof id).toBe('number');
      driver.update();
      expectOneTimer(clock);
      // A host may call update() more than once: nothing changed, nothing armed.
      const armed = clock.armed;
      driver.update();
      driver.update();
      expect(clock.armed).toBe(armed);
    }
    expect(engine.inFlight).toBeGreaterThan(100);
    while (clock.fireNext()) expectOneTimer(clock);
    expect(settled).toBe(200);
    expect(engine.inFlight).toBe(0);
    expect(clock.pending).toBe(0);
    expect(clock.maxPending).toBe(1);
  });

  it('client: 60 calls, every other one a request in fragments (its transfer timer on a second heap), a quarter answered: one timer pending throughout', () => {
    const clock = new ManualClock();
    const sent: Uint8Array[] = [];
    const engine = new ClientEngine({ send: (bytes) => sent.push(bytes), random: seeded(5) });
    const driver = new TimerDriver(engine, clock);
    const ids: number[] = [];
    let settled = 0;
    for (let i = 0; i < 60; i++) {
      const startAt = i * 7;
      while (clock.nextAt() !== undefined && clock.nextAt()! <= startAt) {
        clock.fireNext();
        expectOneTimer(clock);
      }
      clock.advanceTo(startAt);
      // 5000 bytes: five fragments, each with the transfer's probe timer besides the call's.
      const payload = new Uint8Array(i % 2 === 0 ? 5000 : 8);
      const id = engine.call({ peer: SERVER, method: METHOD, payload, deadlineAt: startAt + 500 + ((i * 613) % 1500) }, startAt, () => settled++);
      if (typeof id !== 'number') throw id;
      ids.push(id);
      driver.update();
      expectOneTimer(clock);
      if (i % 4 === 1) {
        // Answer a whole call at once: its timer leaves the heap, the armed one may stay.
        engine.receive(encodeFrame({ type: FrameType.RESPONSE, flags: 0, attempt: 0, session: engine.session, id }, new Uint8Array(0)), SERVER, startAt);
        driver.update();
        expectOneTimer(clock);
      }
    }
    expect(engine.stats().requestProbes).toBeGreaterThan(0);
    while (clock.fireNext()) expectOneTimer(clock);
    expect(settled).toBe(60);
    expect(engine.stats()).toMatchObject({ responses: 15, timeouts: 45, inFlight: 0 });
    expect(engine.nextTimerAt()).toBeUndefined();
    expect(clock.pending).toBe(0);
    expect(clock.maxPending).toBe(1);
  });

  it('a call whose deadline is earlier than the armed timer replaces it: one cancel, one new arm, still one pending', () => {
    const clock = new ManualClock();
    const engine = new ClientEngine({ send: () => {}, random: () => 0.5 });
    const driver = new TimerDriver(engine, clock);
    engine.call({ peer: SERVER, method: METHOD, payload: new Uint8Array(1), deadlineAt: 5000 }, 0, () => {});
    driver.update();
    expect({ armed: clock.armed, cancelled: clock.cancelled, next: clock.nextAt() }).toEqual({ armed: 1, cancelled: 0, next: 200 });
    // Later deadline: the armed timer stays.
    engine.call({ peer: SERVER, method: METHOD, payload: new Uint8Array(1), deadlineAt: 5000 }, 0, () => {});
    driver.update();
    expect({ armed: clock.armed, cancelled: clock.cancelled }).toEqual({ armed: 1, cancelled: 0 });
    // Earlier deadline (50 ms, before the 200 ms retransmission): re-armed once.
    engine.call({ peer: SERVER, method: METHOD, payload: new Uint8Array(1), deadlineAt: 50 }, 0, () => {});
    driver.update();
    expect({ armed: clock.armed, cancelled: clock.cancelled, pending: clock.pending, next: clock.nextAt() }).toEqual({ armed: 2, cancelled: 1, pending: 1, next: 50 });
    driver.close();
    expect(clock.pending).toBe(0);
  });

  it('server: 100 running handlers with staggered deadlines: one timer pending; it walks the deadlines one by one', () => {
    const clock = new ManualClock();
    const started: IncomingCall[] = [];
    const aborted: IncomingCall[] = [];
    const engine = new ServerEngine({
      send: () => {},
      hooks: { onCall: (call) => started.push(call), onAbort: (call) => aborted.push(call) },
      admission: { maxRunning: 1000 },
    });
    // Driven as the server drives it: its host delivers the calls and re-arms the timer.
    const host = new EngineHost(engine, clock, { deliver: () => engine.deliver() });
    for (let i = 0; i < 100; i++) {
      const header = { type: FrameType.REQUEST, flags: 0, attempt: 0, session: 99, id: i };
      // Deadlines 1000 + 37·i mod 900 ms: not in arrival order.
      host.enter();
      engine.receive(encodeRequestFrame(header, 1000 + ((37 * i) % 900), METHOD, new Uint8Array(4)), CLIENT, 0);
      host.leave();
      expectOneTimer(clock);
    }
    expect(started).toHaveLength(100);
    expect(clock.nextAt()).toBe(1000);
    while (clock.fireNext()) expectOneTimer(clock);
    expect(aborted).toHaveLength(100);
    expect(engine.stats().cacheEntries).toBe(0);
    expect(clock.pending).toBe(0);
    expect(clock.maxPending).toBe(1);
  });
});
