import type { Clock, TimerHandle } from './clock.js';

/** The timer face shared by both engines. */
export interface TimedEngine {
  /** Runs every timer due at `now`. */
  onTimer(now: number): void;
  /** When the next timer is due, or undefined when none is armed. */
  nextTimerAt(): number | undefined;
}

/**
 * Keeps ONE real timer armed at an engine's earliest deadline (quic-go's
 * `maybeResetTimer`). Call {@link TimerDriver.update} after anything that may
 * have changed the engine's timers; it re-arms only when the deadline moved
 * earlier, so the hot path costs a comparison, not a setTimeout.
 */
export class TimerDriver {
  private handle: TimerHandle | undefined;
  private armedAt = Infinity;
  private closed = false;

  constructor(
    private readonly engine: TimedEngine,
    private readonly clock: Clock,
    private readonly onError: (error: unknown) => void = () => {},
    /**
     * Runs after each timer's `onTimer`; by default {@link update}. An
     * `EngineHost` passes its own step, which re-arms the timer itself.
     */
    private readonly afterTimer?: () => void,
  ) {}

  /** Re-arms the real timer if the engine's next deadline moved earlier; call after every engine call. */
  update(): void {
    if (this.closed) return;
    const next = this.engine.nextTimerAt();
    if (next === undefined || next >= this.armedAt) return;
    this.handle?.cancel();
    this.armedAt = next;
    this.handle = this.clock.setTimer(Math.max(0, next - this.clock.now()), this.fire);
  }

  /** Cancels the timer for good. */
  close(): void {
    this.closed = true;
    this.handle?.cancel();
    this.handle = undefined;
  }

  private readonly fire = (): void => {
    this.handle = undefined;
    this.armedAt = Infinity;
    try {
      this.engine.onTimer(this.clock.now());
    } catch (error) {
      this.onError(error);
    }
    if (this.afterTimer !== undefined) this.afterTimer();
    else this.update();
  };
}
