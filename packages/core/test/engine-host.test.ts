// EngineHost (CONVENTIONS.md 15, issue 13): the one owner of an engine. Work
// the engine queued is handed out only after the outermost engine call, and
// the engine's timer is re-armed once per event, from that one place.
import { describe, expect, it } from 'vitest';
import { TimerDriver } from '../src/timer/engine-driver.js';
import { EngineHost } from '../src/timer/engine-host.js';
import { ManualClock } from './engine-pair.js';

/** A fake engine: a queue of work items and one settable deadline. */
function fakeEngine() {
  const log: string[] = [];
  let next: number | undefined;
  return {
    log,
    queued: [] as string[],
    setNext(at: number | undefined) {
      next = at;
    },
    nextTimerAt: () => {
      log.push('nextTimerAt');
      return next;
    },
    onTimer: (now: number) => {
      log.push(`onTimer ${now}`);
      next = undefined;
    },
  };
}

describe('EngineHost', () => {
  it('hands out queued work after the outermost engine call, then re-arms the timer once', () => {
    const clock = new ManualClock();
    const engine = fakeEngine();
    const host = new EngineHost(engine, clock, {
      deliver: () => {
        engine.log.push(`deliver (in engine call: ${host.inEngineCall})`);
        for (let item = engine.queued.shift(); item !== undefined; item = engine.queued.shift()) {
          engine.log.push(`run ${item}`);
          // A handler that answers at once: an engine call of its own, from inside deliver().
          host.enter();
          engine.log.push(`answer ${item}`);
          if (item === 'a') engine.queued.push('c'); // its answer frees a slot for a queued call
          host.leave();
        }
      },
    });
    host.enter();
    engine.queued.push('a', 'b');
    engine.setNext(50);
    // A nested engine call (a hook calling back in) does not settle on its own.
    host.enter();
    host.leave();
    expect(engine.log).toEqual([]);
    host.leave();
    expect(engine.log).toEqual([
      'deliver (in engine call: false)',
      'run a',
      'answer a',
      'run b',
      'answer b',
      'run c',
      'answer c',
      'nextTimerAt',
    ]);
    expect({ armed: clock.armed, next: clock.nextAt() }).toEqual({ armed: 1, next: 50 });
  });

  it('a timer is one event: its engine call, the delivery, one update()', () => {
    const clock = new ManualClock();
    const engine = fakeEngine();
    const updates: number[] = [];
    const update = TimerDriver.prototype.update;
    const host = new EngineHost(engine, clock, { deliver: () => engine.log.push('deliver') });
    TimerDriver.prototype.update = function (this: TimerDriver) {
      updates.push(clock.now());
      update.call(this);
    };
    try {
      host.enter();
      engine.setNext(20);
      host.leave();
      engine.log.length = 0;
      expect(clock.fireNext()).toBe(true);
      expect(engine.log).toEqual(['onTimer 20', 'deliver', 'nextTimerAt']);
      expect(updates).toEqual([0, 20]);
      expect(clock.pending).toBe(0);
    } finally {
      TimerDriver.prototype.update = update;
    }
    host.close();
  });

  it('re-arms the timer even when the delivery throws, so a throwing hook cannot freeze the engine', () => {
    const clock = new ManualClock();
    const engine = fakeEngine();
    const host = new EngineHost(engine, clock, {
      deliver: () => {
        throw new Error('hook failed');
      },
    });
    host.enter();
    engine.setNext(30);
    expect(() => host.leave()).toThrow('hook failed');
    expect(clock.nextAt()).toBe(30);
    // And the host is not left "inside" a call: the next event settles again.
    engine.setNext(10);
    host.enter();
    expect(() => host.leave()).toThrow('hook failed');
    expect(clock.nextAt()).toBe(10);
  });
});
