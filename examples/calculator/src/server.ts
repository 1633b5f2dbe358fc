/**
 * The calculator server as a process:
 *
 *   npx tsx --conditions=@udprpc/source examples/calculator/src/server.ts [--host 127.0.0.1] [--port 0] [--ignore-stdin]
 *
 * Host and port come from the flags, else from $HOST / $PORT, else
 * 127.0.0.1 and a free port. Once bound it prints exactly one line to stdout,
 * `listening udp://HOST:PORT` (IPv6 in brackets); everything else goes to
 * stderr. It stops cleanly on SIGINT, SIGTERM, or when stdin closes (so a
 * parent process can always stop it by ending the pipe; pass --ignore-stdin
 * to run it with stdin closed, e.g. in the background).
 */
import { parseArgs } from 'node:util';
import { createServer, formatPeer } from 'udprpc';
import { calculatorHandlers } from './calculator.js';
import { calc } from './contract.js';
import { foldingSink, serverLogging } from './logging-interceptor.js';

/** How long a shutdown may take before the process exits anyway. */
const SHUTDOWN_GRACE_MS = 2000;

const { values } = parseArgs({
  options: {
    host: { type: 'string' },
    port: { type: 'string' },
    'ignore-stdin': { type: 'boolean', default: false },
  },
});
const host = values.host ?? process.env['HOST'] ?? '127.0.0.1';
const port = parsePort(values.port ?? process.env['PORT'] ?? '0');

const log = foldingSink((line) => console.error(line));
const server = createServer({ host, port, interceptors: [serverLogging(log)] });
server.implement(
  calc,
  calculatorHandlers((line) => {
    log.flush();
    console.error(line);
  }),
);
// Handler bugs (non-RpcError throws, which callers only see as INTERNAL) and socket errors.
server.on('error', (error) => console.error(`error: ${error.message}`));

const watchStdin = !values['ignore-stdin'];
let stopping = false;
async function stop(why: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  setTimeout(() => {
    console.error(`shutdown took longer than ${SHUTDOWN_GRACE_MS} ms; exiting`);
    process.exit(1);
  }, SHUTDOWN_GRACE_MS).unref();
  log.flush();
  await server.close();
  const s = server.stats();
  console.error(
    `stopped (${why}): ${s.requests} requests, ${s.responses} responses, ${s.errors} errors, ` +
      `${s.notifications} notifications, ${s.cancelled} cancelled, ${s.deadlineAborts} deadline aborts, ` +
      `${s.duplicatesInProgress + s.duplicatesReplayed} duplicates suppressed`,
  );
  if (watchStdin) process.stdin.destroy();
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void stop(signal));

try {
  const address = await server.listen();
  process.stdout.write(`listening udp://${formatPeer(address)}\n`);
} catch (error) {
  console.error(`cannot listen on ${host}:${port}: ${(error as Error).message}`);
  process.exit(1);
}

if (watchStdin) {
  process.stdin.on('end', () => void stop('stdin closed'));
  process.stdin.on('error', () => void stop('stdin error'));
  process.stdin.resume();
}

function parsePort(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0 || n > 65535) {
    console.error(`invalid port ${JSON.stringify(text)}`);
    process.exit(2);
  }
  return n;
}
