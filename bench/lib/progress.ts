// Progress on stderr: a redrawn bar when stderr is a TTY, one line per step otherwise.

export class Progress {
  private step = 0;
  private label = '';
  private stepStart = 0;
  private expectedMs = 0;
  private readonly started = performance.now();
  private timer: NodeJS.Timeout | undefined;
  private readonly tty: boolean;

  constructor(private readonly total: number, private readonly out: NodeJS.WriteStream = process.stderr) {
    this.tty = out.isTTY === true && process.env.CI === undefined;
  }

  /** A new step begins; `expectedMs` is its rough duration, for the bar. */
  start(label: string, expectedMs: number): void {
    this.step++;
    this.label = label;
    this.stepStart = performance.now();
    this.expectedMs = expectedMs;
    if (this.tty) {
      this.draw();
      this.timer ??= setInterval(() => this.draw(), 200);
      this.timer.unref();
    } else {
      this.out.write(`bench [${this.step}/${this.total}] ${label}\n`);
    }
  }

  /** A note under the bar (e.g. a skipped or failed row). */
  note(text: string): void {
    if (this.tty) this.out.write(`\r\x1b[K${text}\n`);
    else this.out.write(`bench   ${text}\n`);
    if (this.tty && this.timer !== undefined) this.draw();
  }

  finish(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    const secs = ((performance.now() - this.started) / 1000).toFixed(1);
    if (this.tty) this.out.write(`\r\x1b[K`);
    this.out.write(`bench: ${this.step} runs in ${secs} s\n`);
  }

  private draw(): void {
    const width = 24;
    const within = Math.min(0.99, (performance.now() - this.stepStart) / Math.max(1, this.expectedMs));
    const fraction = (this.step - 1 + within) / Math.max(1, this.total);
    const filled = Math.round(fraction * width);
    const bar = '#'.repeat(filled) + '-'.repeat(width - filled);
    const secs = ((performance.now() - this.stepStart) / 1000).toFixed(1);
    const cols = this.out.columns ?? 100;
    const line = `bench [${bar}] ${this.step}/${this.total} ${this.label} ${secs}s`;
    this.out.write(`\r\x1b[K${line.slice(0, Math.max(20, cols - 1))}`);
  }
}
