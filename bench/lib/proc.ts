// Orchestrator side of the child processes: spawn `node <script>` (compiled)
// or `node --import tsx --conditions=@udprpc/source <script>` (from sources) with an
// IPC channel, and wait for messages.
import { spawn, type ChildProcess } from 'node:child_process';
import { childExecArgv, entry, repoRoot } from './paths.js';
import type { IpcMessage } from './ipc-child.js';


/** A child process and its IPC messages. */
export class Child {
  private readonly queue: IpcMessage[] = [];
  private waiters: Array<{ type: string; resolve: (m: IpcMessage) => void; reject: (e: Error) => void }> = [];
  private exited: Error | undefined;
  /** Called for every message nobody waits for (e.g. a client's window marks). */
  onMessage: ((m: IpcMessage) => void) | undefined;
  readonly proc: ChildProcess;

  constructor(readonly name: string, script: string, args: readonly string[], nodeArgs: readonly string[] = []) {
    this.proc = spawn(
      process.execPath,
      [...nodeArgs, ...childExecArgv, entry(script), ...args],
      { cwd: repoRoot, stdio: ['pipe', 2, 'inherit', 'ipc'], env: { ...process.env, NODE_OPTIONS: '' } },
    );
    this.proc.on('message', (m: IpcMessage) => {
      const i = this.waiters.findIndex((w) => w.type === m.type);
      if (i >= 0) {
        this.waiters.splice(i, 1)[0]!.resolve(m);
      } else if (m.type === 'error') {
        this.fail(new Error(`${this.name}: ${String(m.message)}`));
      } else if (this.onMessage !== undefined && m.type === 'mark') {
        this.onMessage(m);
      } else {
        this.queue.push(m);
      }
    });
    this.proc.on('exit', (code, signal) => this.fail(new Error(`${this.name} exited (code ${code}, signal ${signal})`)));
    this.proc.on('error', (e) => this.fail(e));
  }

  send(message: IpcMessage): void {
    if (this.proc.connected) this.proc.send(message);
  }

  /** The next message of `type` (or the first one already queued). */
  next<T extends IpcMessage>(type: string, timeoutMs: number): Promise<T> {
    const i = this.queue.findIndex((m) => m.type === type);
    if (i >= 0) return Promise.resolve(this.queue.splice(i, 1)[0] as T);
    if (this.exited !== undefined) return Promise.reject(this.exited);
    return new Promise<T>((resolve, reject) => {
      const waiter = {
        type,
        resolve: (m: IpcMessage) => {
          clearTimeout(timer);
          resolve(m as T);
        },
        reject: (e: Error) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`${this.name}: no '${type}' message within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  /** Sends `message` and waits for the reply of type `replyType`. */
  request<T extends IpcMessage>(message: IpcMessage, replyType: string, timeoutMs: number): Promise<T> {
    const reply = this.next<T>(replyType, timeoutMs);
    this.send(message);
    return reply;
  }

  /** Closes stdin and IPC (the child exits by itself); kills it if it lingers. */
  async close(graceMs = 3000): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.proc.once('exit', () => resolve()));
    this.proc.stdin?.end();
    if (this.proc.connected) this.proc.disconnect();
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  }

  private fail(error: Error): void {
    this.exited ??= error;
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w.reject(error);
  }
}
