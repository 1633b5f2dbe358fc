// Helpers for the benchmark's child processes (server-process.ts, client-process.ts):
// they talk to the orchestrator over the IPC channel and end on their own when
// it goes away (IPC disconnect or stdin closed) or when their time runs out.

/** Messages between the orchestrator and a child. */
export interface IpcMessage {
  type: string;
  [key: string]: unknown;
}

/** Sends one message to the parent; silently ignored once it is gone. */
export function sendToParent(message: IpcMessage): void {
  if (process.connected && process.send !== undefined) process.send(message);
}

/**
 * Makes this child exit when the parent disappears, or after `hardTimeoutMs`
 * whatever happens. `cleanup` runs first (best effort, bounded by 1 s).
 */
export function exitWithParent(hardTimeoutMs: number, cleanup?: () => Promise<void>): void {
  if (process.send === undefined) {
    process.stderr.write('this script is started by bench/run.ts (it needs an IPC channel)\n');
    process.exit(2);
  }
  let exiting = false;
  const exit = (code: number): void => {
    if (exiting) return;
    exiting = true;
    const done = (): never => process.exit(code);
    setTimeout(done, 1000).unref();
    (cleanup ?? (() => Promise.resolve()))().then(done, done);
  };
  process.on('disconnect', () => exit(0));
  process.stdin.on('end', () => exit(0));
  process.stdin.on('error', () => exit(0));
  process.stdin.resume();
  setTimeout(() => {
    process.stderr.write(`bench child ${process.argv[2] ?? ''}: hard timeout of ${hardTimeoutMs} ms reached, exiting\n`);
    exit(3);
  }, hardTimeoutMs).unref();
}

/** Resource usage of this process, for the report. */
export function usage(): { rssBytes: number; maxRssBytes: number; cpuUserUs: number; cpuSystemUs: number } {
  const cpu = process.cpuUsage();
  return {
    rssBytes: process.memoryUsage.rss(),
    maxRssBytes: process.resourceUsage().maxRSS * 1024,
    cpuUserUs: cpu.user,
    cpuSystemUs: cpu.system,
  };
}
