import type { Clock } from './clock.js';
import { TimerDriver, type TimedEngine } from './engine-driver.js';
import { checkClock, checkFunction, checkObject, checkOptionalFunction } from '../options-check.js';

/** Options of an {@link EngineHost}. */
export interface EngineHostOptions {
  /**
   * Hands out what the engine queued during its call (the server engine's
   * `deliver()`: calls to run, handlers to abort). Runs after the outermost
   * engine call has returned, so a handler that answers at once calls back
   * into the engine from outside it; what that answer queues is handed out
   * by the same step.
   */
  deliver?: () => void;
  /** Hears what a timer's engine call (or its delivery) throws. */
  onError?: (error: unknown) => void;
}

/**
 * The one owner of an engine (CONVENTIONS.md 15): every engine call is
 * bracketed by {@link enter} and {@link leave}, and when the outermost call
 * leaves, the host hands out the work the engine queued and then re-arms
 * the engine's one timer — the only place {@link TimerDriver.update} is
 * called. Nothing the engine queues runs inside an engine call, so the
 * engine is never re-entered, and however many engine calls one event
 * causes (a datagram, the handlers it starts, their synchronous replies),
 * the timer is re-armed once.
 */
export class EngineHost {
  private depth = 0;
  private settling = false;
  private readonly driver: TimerDriver;
  private readonly deliver: (() => void) | undefined;

  /** @throws TypeError when the engine, the clock or an option is not of the expected shape. */
  constructor(engine: TimedEngine, clock: Clock, options: EngineHostOptions = {}) {
    checkObject(engine as unknown, 'engine');
    checkFunction(engine.onTimer, 'engine.onTimer');
    checkFunction(engine.nextTimerAt, 'engine.nextTimerAt');
    checkClock(clock, 'clock');
    checkObject(options as unknown, 'options');
    checkOptionalFunction(options.deliver, 'options.deliver');
    checkOptionalFunction(options.onError, 'options.onError');
    this.deliver = options.deliver;
    const timed: TimedEngine = {
      onTimer: (now) => {
        this.enter();
        try {
          engine.onTimer(now);
        } finally {
          this.leave();
        }
      },
      nextTimerAt: () => engine.nextTimerAt(),
    };
    // The timer's engine call settles through leave() above, so the driver must not re-arm on its own.
    this.driver = new TimerDriver(timed, clock, options.onError, noop);
  }

  /** Whether an engine call is under way (a hook or listener running inside it). */
  get inEngineCall(): boolean {
    return this.depth > 0;
  }

  /** Marks the start of an engine call; pair it with {@link leave} in a `finally`. */
  enter(): void {
    this.depth++;
  }

  /** Marks the end of an engine call; the outermost one settles: deliver, then re-arm the timer. */
  leave(): void {
    if (--this.depth === 0) this.settleNow();
  }

  /**
   * For code that called the engine without {@link enter}/{@link leave}
   * (a component handed the engine itself): settles now, unless an engine
   * call or a settle is under way, which settles when it ends.
   */
  settle(): void {
    if (this.depth > 0) return;
    this.settleNow();
  }

  /** Cancels the timer for good. */
  close(): void {
    this.driver.close();
  }

  private settleNow(): void {
    // A handler answering inside deliver() comes back through enter/leave:
    // its work joins the loop under way, and the timer is re-armed once, below.
    if (this.settling) return;
    this.settling = true;
    try {
      this.deliver?.();
    } finally {
      this.settling = false;
      this.driver.update();
    }
  }
}

function noop(): void {}
