/**
 * `npm start`: runs the traced server and the traced client, each in its
 * own process, over real UDP on 127.0.0.1; prints both processes' output
 * (spans from the console exporter), then checks what the spans say: the
 * client's two `prices.quote` spans are children of `checkout`, and each
 * server span is in the same trace, a child of its client span. Exits 0
 * if so (non-zero, with the reason, if not). Gives up after 30 s.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { printedSpans, type PrintedSpan } from './spans.js';

const SAFETY_TIMEOUT_MS = 30_000;
const script = (name: string): string => fileURLToPath(new URL(`./${name}.ts`, import.meta.url));
// The children run with this process's TypeScript loader (tsx puts its flags in execArgv).
const loaderArgs = process.execArgv.some((arg) => arg.includes('tsx')) ? process.execArgv : ['--import', 'tsx', '--conditions=@udprpc/source'];

const children: ChildProcess[] = [];
const safety = setTimeout(() => {
  console.error(`demo: FAILED: still running after ${SAFETY_TIMEOUT_MS} ms`);
  for (const child of children) child.kill('SIGKILL');
  process.exit(1);
}, SAFETY_TIMEOUT_MS);

/** Starts a script; resolves with its whole stdout once it has exited 0 (rejects otherwise). */
function run(name: string, args: string[], onFirstLine?: (line: string) => void): { child: ChildProcess; output: Promise<string> } {
  const child = spawn(process.execPath, [...loaderArgs, script(name), ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
  children.push(child);
  let output = '';
  let first = true;
  createInterface({ input: child.stdout! }).on('line', (line) => {
    output += `${line}\n`;
    if (first) onFirstLine?.(line);
    first = false;
  });
  return {
    child,
    output: new Promise((resolve, reject) => {
      child.once('error', reject);
      child.once('close', (code) => (code === 0 ? resolve(output) : reject(new Error(`${name}.ts exited with ${code}`))));
    }),
  };
}

let exitCode = 0;
try {
  let listening: (url: string) => void = () => {};
  const url = new Promise<string>((resolve) => (listening = resolve));
  const server = run('server', [], (line) => listening(/^listening (udp:\/\/\S+)$/.exec(line)?.[1] ?? ''));
  const address = await Promise.race([url, server.output.then(() => '')]);
  if (!address.startsWith('udp://')) throw new Error('the server did not print its address');
  const clientOutput = await run('client', [address]).output;
  server.child.stdin!.end(); // the server's signal to stop
  const serverOutput = await server.output;
  for (const line of clientOutput.trimEnd().split('\n')) console.log(`[client] ${line}`);
  for (const line of serverOutput.trimEnd().split('\n')) console.log(`[server] ${line}`);
  check(printedSpans(clientOutput), printedSpans(serverOutput));
  console.log('demo: OK');
} catch (error) {
  console.error(`demo: FAILED: ${error instanceof Error ? error.message : String(error)}`);
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  exitCode = 1;
} finally {
  clearTimeout(safety);
}
process.exitCode = exitCode;

/** The span tree the example must produce, across the two processes. */
function check(client: PrintedSpan[], server: PrintedSpan[]): void {
  const checkout = client.find((s) => s.name === 'checkout');
  const calls = client.filter((s) => s.name === 'prices.quote' && s.kind === 2);
  if (checkout === undefined || calls.length !== 2) throw new Error(`the client printed ${client.length} spans, not checkout and two CLIENT prices.quote`);
  const handled = server.filter((s) => s.name === 'prices.quote' && s.kind === 1);
  if (handled.length !== 2) throw new Error(`the server printed ${handled.length} SERVER prices.quote spans, not 2`);
  for (const call of calls) {
    if (call.traceId !== checkout.traceId || call.parentId !== checkout.id) throw new Error(`CLIENT span ${call.id} is not a child of checkout`);
    const child = handled.find((s) => s.parentId === call.id);
    if (child === undefined || child.traceId !== call.traceId) throw new Error(`no SERVER span is a child of CLIENT span ${call.id}`);
    console.log(`demo: trace ${call.traceId}: checkout ${checkout.id} (${checkout.service}) → CLIENT ${call.id} → SERVER ${child.id} (${child.service})`);
  }
}
