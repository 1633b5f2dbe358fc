/**
 * `npm run demo`: starts the calculator server as a separate process, runs the
 * client session against it over real UDP on 127.0.0.1, stops the server, and
 * exits 0 if every step did what it should (non-zero, with the reason, if not).
 * A global safety timer kills the server and exits 1 if anything hangs.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { runSession } from './client.js';

const SAFETY_TIMEOUT_MS = 20_000;
const LISTEN_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 3000;

const serverScript = fileURLToPath(new URL('./server.ts', import.meta.url));

// Run the server with the same TypeScript loader as this process (tsx puts
// its loader flags in execArgv); fall back to `node --import tsx` otherwise.
const loaderArgs = process.execArgv.some((arg) => arg.includes('tsx'))
  ? process.execArgv
  : ['--import', 'tsx', '--conditions=@udprpc/source'];

let server: ChildProcess | undefined;
const safety = setTimeout(() => {
  console.error(`demo: FAILED: still running after ${SAFETY_TIMEOUT_MS} ms; killing the server`);
  server?.kill('SIGKILL');
  process.exit(1);
}, SAFETY_TIMEOUT_MS);

let exitCode = 0;
try {
  server = spawn(process.execPath, [...loaderArgs, serverScript, '--host', '127.0.0.1', '--port', '0'], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  createInterface({ input: server.stderr! }).on('line', (line) => console.log(`[server] ${line}`));
  const url = await waitForListening(server, LISTEN_TIMEOUT_MS);
  console.log(`demo: server process ${server.pid} is listening at ${url}`);
  await runSession(url, { log: (line) => console.log(`[client] ${line}`) });
  const code = await stopServer(server, STOP_TIMEOUT_MS);
  if (code !== 0) throw new Error(`the server exited with ${code}`);
  console.log('demo: OK');
} catch (error) {
  console.error(`demo: FAILED: ${error instanceof Error ? error.message : String(error)}`);
  exitCode = 1;
  if (server !== undefined && server.exitCode === null) server.kill('SIGKILL');
} finally {
  clearTimeout(safety);
}
process.exitCode = exitCode;
// Everything is closed, so the process ends now; if a handle leaked, this
// (unref'd) timer still ends it.
setTimeout(() => process.exit(exitCode), 1000).unref();

/** Resolves with the URL from the server's `listening udp://...` line. */
function waitForListening(child: ChildProcess, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    const done = (error: Error | undefined, url?: string): void => {
      clearTimeout(timer);
      child.off('exit', onExit);
      lines.close();
      child.stdout?.resume(); // keep draining it, so the pipe never fills
      if (error === undefined) resolve(url!);
      else reject(error);
    };
    const timer = setTimeout(() => done(new Error(`no "listening" line from the server within ${timeoutMs} ms`)), timeoutMs);
    const onExit = (code: number | null, signal: NodeJS.Signals | null): void =>
      done(new Error(`the server exited before listening (${signal ?? `code ${code}`})`));
    child.once('exit', onExit);
    child.once('error', (error) => done(new Error(`could not start the server: ${error.message}`)));
    lines.once('line', (line) => {
      const match = /^listening (udp:\/\/\S+)$/.exec(line);
      if (match?.[1] === undefined) done(new Error(`unexpected first line from the server: ${JSON.stringify(line)}`));
      else done(undefined, match[1]);
    });
  });
}

/** Ends the server's stdin (its signal to stop) and resolves with its exit code; kills it if it lingers. */
function stopServer(child: ChildProcess, timeoutMs: number): Promise<number | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      console.error(`demo: the server did not stop within ${timeoutMs} ms; killing it`);
      child.kill('SIGKILL');
    }, timeoutMs);
    // 'close', not 'exit': it also waits until the server's output has been read.
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
    child.stdin!.end();
  });
}
