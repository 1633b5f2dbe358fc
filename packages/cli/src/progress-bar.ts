/**
 * One line of progress: `[██████░░░░░░]  45%  4.5s/10.0s  12345 calls  0 errors`.
 * `fraction` is clamped to [0, 1].
 */
export function renderProgress(fraction: number, elapsedMs: number, totalMs: number, ok: number, failed: number, width = 30): string {
  const f = Math.min(1, Math.max(0, fraction));
  const filled = Math.round(f * width);
  const bar = `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
  const pct = `${Math.floor(f * 100)}%`.padStart(4);
  const time = `${(elapsedMs / 1000).toFixed(1)}s/${(totalMs / 1000).toFixed(1)}s`;
  return `[${bar}] ${pct}  ${time}  ${ok + failed} calls  ${failed} errors`;
}

/** Where progress lines go, and whether they can be redrawn in place. */
export interface ProgressSink {
  write(text: string): void;
  /** A terminal: redraw one line with `\r`; otherwise print a line now and then. */
  interactive: boolean;
}

/**
 * Redraws a progress line every 100 ms on a terminal, or prints one every
 * second otherwise (logs and pipes get no `\r` noise). `stop()` draws the
 * final state and ends the line.
 */
export function startProgress(sink: ProgressSink, line: () => string): { stop(): void } {
  const periodMs = sink.interactive ? 100 : 1000;
  const draw = (): void => sink.write(sink.interactive ? `\r${line()}\x1b[K` : `${line()}\n`);
  const timer = setInterval(draw, periodMs);
  timer.unref();
  if (sink.interactive) draw();
  return {
    stop() {
      clearInterval(timer);
      draw();
      if (sink.interactive) sink.write('\n');
    },
  };
}
