/**
 * A scripted session against a calculator server. Run it on its own with
 *
 *   npx tsx --conditions=@udprpc/source examples/calculator/src/client.ts udp://127.0.0.1:PORT
 *
 * or call {@link runSession} (the demo does). Every step checks what it got,
 * so the session throws if the server misbehaves.
 */
import { pathToFileURL } from 'node:url';
import { createClient, RpcError, type Client } from 'udprpc';
import { calc } from './contract.js';
import { clientLogging, foldingSink } from './logging-interceptor.js';

/** Options of {@link runSession}. */
export interface SessionOptions {
  /** Where results go (default: stdout). */
  print?: (line: string) => void;
  /** Where the client's logging interceptor writes (default: stderr). */
  log?: (line: string) => void;
  /** Sequential adds to measure latency over (default 200). */
  latencyCalls?: number;
}

/** Runs the session against the server at `url` (`udp://host:port`), then closes the client. */
export async function runSession(url: string, options: SessionOptions = {}): Promise<void> {
  const print = options.print ?? ((line) => console.log(line));
  const log = foldingSink(options.log ?? ((line) => console.error(line)));
  const client = createClient({ url, timeoutMs: 2000, interceptors: [clientLogging(log)] });
  client.on('error', (error) => print(`client error: ${error.message}`));
  try {
    await session(client, print, log.flush, options.latencyCalls ?? 200);
  } finally {
    log.flush();
    await client.close();
  }
}

async function session(
  client: Client,
  print: (line: string) => void,
  flushLog: () => void,
  latencyCalls: number,
): Promise<void> {
  const stub = client.stub(calc);

  for (const [a, b] of [[2, 3], [40, 2], [0.1, 0.2]] as const) {
    print(`add(${a}, ${b}) = ${await stub.add({ a, b })}`);
  }
  print(`get("pi") = ${await stub.get({ key: 'pi' })}   (idempotent)`);

  // A typed error: the handler's code, message and details arrive as thrown.
  const divError = await expectError(stub.div({ a: 1, b: 0 }), 'INVALID_ARGUMENT');
  print(`div(1, 0) failed: ${divError.code} "${divError.message}" details=${JSON.stringify(divError.details)} remote=${divError.remote}`);

  // The deadline travels with the request: the server aborts ctx.signal when it passes.
  const deadline = await expectError(stub.slowSquare({ x: 7, ms: 10_000 }, { timeoutMs: 100 }), 'DEADLINE_EXCEEDED');
  print(`slowSquare(7) with timeoutMs 100 failed: ${deadline.code} remote=${deadline.remote}`);

  // Aborting the signal rejects at once and sends a CANCEL to the server.
  const controller = new AbortController();
  const cancelled = stub.slowSquare({ x: 8, ms: 10_000 }, { signal: controller.signal });
  setTimeout(() => controller.abort(), 50);
  const cancelError = await expectError(cancelled, 'CANCELLED');
  print(`slowSquare(8) aborted after 50 ms: ${cancelError.code} remote=${cancelError.remote}`);

  print(`slowSquare(9) in 20 ms = ${await stub.slowSquare({ x: 9, ms: 20 })}`);

  // One datagram, no reply, no retransmission.
  await stub.log.notify({ line: 'hello from the calculator client' });
  print('log notification sent');

  const micros: number[] = [];
  for (let i = 0; i < latencyCalls; i++) {
    const start = performance.now();
    const sum = await stub.add({ a: i, b: 1 });
    micros.push((performance.now() - start) * 1000);
    if (sum !== i + 1) throw new Error(`add(${i}, 1) returned ${sum}`);
  }
  micros.sort((x, y) => x - y);
  flushLog();
  print(`latency over ${latencyCalls} sequential adds: p50 ${percentile(micros, 0.5)} µs, p99 ${percentile(micros, 0.99)} µs`);

  const s = client.stats();
  const timing = client.timing();
  print(
    `client stats: ${s.calls} calls, ${s.responses} responses, ${s.errors} errors, ${s.timeouts} timeouts, ` +
      `${s.cancelled} cancelled, ${s.retransmits} retransmits, ${s.notifications} notifications` +
      (timing?.srttMs === undefined ? '' : `; srtt ${timing.srttMs.toFixed(3)} ms, rto ${timing.rtoMs.toFixed(0)} ms`),
  );
}

/** Awaits a call that must fail with `code`; returns its error. */
async function expectError(call: Promise<unknown>, code: RpcError['code']): Promise<RpcError> {
  try {
    const value = await call;
    throw new Error(`expected ${code}, but the call returned ${JSON.stringify(value)}`);
  } catch (error) {
    if (RpcError.is(error) && error.code === code) return error;
    throw error;
  }
}

function percentile(sorted: readonly number[], q: number): string {
  const value = sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return value === undefined ? 'n/a' : value.toFixed(0);
}

// Run directly: the first argument is the server's URL.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const url = process.argv[2];
  if (url === undefined) {
    console.error('usage: client.ts udp://HOST:PORT');
    process.exit(2);
  }
  try {
    await runSession(url);
  } catch (error) {
    console.error(`session failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  }
}
