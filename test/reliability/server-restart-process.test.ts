// Issue 11.6 with real processes: a server child process on a fixed
// 127.0.0.1 port is killed with SIGKILL twice while 32 calls of 300 ms run
// concurrently, and restarted on the same port. No call runs twice (counted
// in a file the server processes append to, after every call settled and
// the last server was stopped); every call succeeds or fails with ABORTED
// and `mayHaveRun` (protocol.md §6.3), or runs out of time while a new
// process starts. Bounded: 160 calls, 8 s deadlines,
// every child killed at the end.
import { fork, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { createClient, defineContract, method, RpcError } from 'udprpc';

const TSX = ['--import', 'tsx', '--conditions=@udprpc/source'];
const fixture = new URL('./fixtures/restart-server.ts', import.meta.url);
const rel = defineContract('rel', { add: method<{ tag: number; a: number; b: number; delayMs: number }, { tag: number; sum: number }>() });

const children: ChildProcess[] = [];
const dirs: string[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function freePort(): Promise<number> {
  const s = createSocket('udp4');
  await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', resolve));
  const { port } = s.address();
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

function startServer(port: number, log: string): Promise<ChildProcess> {
  const child = fork(fixture, [String(port), log], { execArgv: TSX, stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
  children.push(child);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('server child did not start within 20 s')), 20_000);
    child.stdout!.on('data', (d: Buffer) => {
      if (d.toString().includes('ready')) {
        clearTimeout(timer);
        resolve(child);
      }
    });
    child.once('exit', (code) => reject(new Error(`server child exited with ${code}`)));
  });
}

function kill(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

it('SIGKILL and restart of a server process during 32 concurrent 300 ms calls: no call runs twice', { timeout: 90_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'udprpc-restart-'));
  dirs.push(dir);
  const log = join(dir, 'runs.log');
  const port = await freePort();
  let server = await startServer(port, log);
  const client = createClient({ url: `udp://127.0.0.1:${port}`, timeoutMs: 8000 });
  const stub = client.stub(rel);
  const outcomes: Array<'ok' | 'mayHaveRun' | 'timeout' | string> = [];
  let next = 1;
  const worker = async (): Promise<void> => {
    while (next <= 160) {
      const tag = next++;
      try {
        const r = await stub.add({ tag, a: tag, b: 1, delayMs: 300 });
        outcomes[tag] = r.tag === tag && r.sum === tag + 1 ? 'ok' : `wrong reply ${JSON.stringify(r)}`;
      } catch (e) {
        // ABORTED (refused by the new process) or UNAVAILABLE (the kernel
        // refused the retransmissions while no process listened), flagged as
        // "may have run" when an earlier copy may have reached the dead one.
        if (RpcError.is(e) && (e.code === 'ABORTED' || e.code === 'UNAVAILABLE') && e.mayHaveRun) outcomes[tag] = 'mayHaveRun';
        else if (RpcError.is(e) && e.code === 'UNAVAILABLE') outcomes[tag] = 'unavailable';
        // A restart takes a few seconds (a new Node process): calls may run out of time meanwhile.
        else if (RpcError.is(e) && e.code === 'DEADLINE_EXCEEDED') outcomes[tag] = 'timeout';
        else outcomes[tag] = String(e);
      }
    }
  };
  const workers = Array.from({ length: 32 }, worker);
  for (let i = 0; i < 2; i++) {
    await new Promise((r) => setTimeout(r, 450));
    await kill(server);
    server = await startServer(port, log);
  }
  await Promise.all(workers);
  await client.close();
  await kill(server);
  const runs = new Map<number, number>();
  for (const line of readFileSync(log, 'utf8').split('\n').filter(Boolean)) runs.set(Number(line), (runs.get(Number(line)) ?? 0) + 1);
  const twice = [...runs].filter(([, n]) => n > 1).map(([tag]) => tag);
  expect(twice).toEqual([]);
  const settled = outcomes.slice(1);
  expect(settled.length).toBe(160);
  expect(settled.filter((o) => o !== 'ok' && o !== 'mayHaveRun' && o !== 'timeout' && o !== 'unavailable')).toEqual([]);
  // UNAVAILABLE without "may have run" promises the call never ran.
  expect(settled.flatMap((o, i) => (o === 'unavailable' && runs.has(i + 1) ? [i + 1] : []))).toEqual([]);
  // The kills hit calls in flight: some of them were refused as "may have run".
  expect(settled.filter((o) => o === 'mayHaveRun').length).toBeGreaterThan(0);
});
