// Figures for docs/multi-endpoint.md, "Dead endpoints" (issue 18, first
// bullet), with real processes on 127.0.0.1: 3 server children
// (fixtures/failover-server.ts, 300 ms handlers), one client in this process
// with `createClient({ urls })` and default options, 24 loops of idempotent
// calls and 8 of non-idempotent ones back to back; one server is SIGKILLed
// 1.5 s into the run, which lasts 4 s. Not a test: it prints one line per
// round and the worst of each column.
//
//   npx tsx --conditions=@udprpc/source test/multi-endpoint/measure-failover.ts [rounds]
//
// Every child ends by itself (the victim by SIGKILL, the others on "stop",
// on losing their parent, or after 60 s).
import { fork, type ChildProcess } from 'node:child_process';
import { channel } from 'node:diagnostics_channel';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createClient, RpcError, type ClientFailoverMessage, type ClientInterceptor } from 'udprpc';
import { fo } from './fixtures/failover-contract.js';

const ROUNDS = Number(process.argv[2] ?? 3);
const HANDLER_MS = 300;
const IDEMPOTENT_LOOPS = 24;
const PUT_LOOPS = 8;
const KILL_AFTER_MS = 1500;
const RUN_MS = 4000;
const TSX = ['--import', 'tsx', '--conditions=@udprpc/source'];
const fixture = new URL('./fixtures/failover-server.ts', import.meta.url);

interface CallRecord {
  tag: number;
  idempotent: boolean;
  startedAt: number;
  endedAt: number;
  firstPort: number;
  ok: boolean;
  code: string;
  mayHaveRun: boolean;
}

interface RoundResult {
  ejectionMs: number | undefined;
  reason: string | undefined;
  moved: number | undefined;
  lastAffectedMs: number;
  affected: number;
  calls: number;
  failedIdempotent: number;
  ranTwice: number;
  putsFailed: number;
  putsFailedMayHaveRun: number;
  /** The client's event-loop delay over the run, ms: how late its timers fired (the machine's load). */
  loopDelayP99Ms: number;
  loopDelayMaxMs: number;
}

function startServer(log: string, name: string): Promise<{ child: ChildProcess; port: number }> {
  const child = fork(fixture, [log, name], { execArgv: TSX, stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('server child did not start within 30 s')), 30_000);
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /ready (\d+)/.exec(out);
      if (m !== null) {
        clearTimeout(timer);
        resolve({ child, port: Number(m[1]) });
      }
    });
    child.once('exit', (code) => reject(new Error(`server child exited with ${code}`)));
  });
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

async function round(): Promise<RoundResult> {
  const dir = mkdtempSync(join(tmpdir(), 'udprpc-failover-'));
  const logs = [0, 1, 2].map((i) => join(dir, `s${i}.log`));
  const servers = await Promise.all(logs.map((log, i) => startServer(log, `s${i}`)));
  const failovers: (ClientFailoverMessage & { at: number })[] = [];
  const onFailover = (m: unknown): void => void failovers.push({ ...(m as ClientFailoverMessage), at: performance.now() });
  const failoverChannel = channel('udprpc:client:failover');
  failoverChannel.subscribe(onFailover);
  const firstPort = new Map<number, number>();
  const spy: ClientInterceptor = (next) => (req) => {
    firstPort.set((req.input as { tag: number }).tag, req.peer.port);
    return next(req);
  };
  const client = createClient({ urls: servers.map((s) => `udp://127.0.0.1:${s.port}`), interceptors: [spy] });
  const stub = client.stub(fo);
  const retries: [number, number][] = [];
  if (process.env['DEBUG_FAILOVER']) client.on('retry', (info) => retries.push([info.peer.port, performance.now()]));
  await client.connect();
  const calls: CallRecord[] = [];
  let nextTag = 0;
  const lag = monitorEventLoopDelay({ resolution: 10 });
  lag.enable();
  const t0 = performance.now();
  const end = t0 + RUN_MS;
  const loop = async (idempotent: boolean): Promise<void> => {
    while (performance.now() < end) {
      const tag = ++nextTag;
      const record: CallRecord = { tag, idempotent, startedAt: performance.now(), endedAt: NaN, firstPort: 0, ok: false, code: '', mayHaveRun: false };
      calls.push(record);
      try {
        await (idempotent ? stub.get : stub.put)({ tag, delayMs: HANDLER_MS });
        record.ok = true;
        record.code = 'OK';
      } catch (error) {
        const e = RpcError.from(error);
        record.code = e.code;
        record.mayHaveRun = e.mayHaveRun === true;
        if (process.env['DEBUG_FAILOVER']) console.log('failed', tag, idempotent, e.code, e.message, performance.now() - killedAt);
      }
      record.endedAt = performance.now();
      record.firstPort = firstPort.get(tag) ?? 0;
      firstPort.delete(tag);
    }
  };
  const victim = servers[0]!;
  let killedAt = NaN;
  const killer = new Promise<void>((resolve) =>
    setTimeout(() => {
      killedAt = performance.now();
      victim.child.kill('SIGKILL');
      resolve();
    }, KILL_AFTER_MS),
  );
  await Promise.all([killer, ...Array.from({ length: IDEMPOTENT_LOOPS }, () => loop(true)), ...Array.from({ length: PUT_LOOPS }, () => loop(false))]);
  lag.disable();
  await client.close();
  failoverChannel.unsubscribe(onFailover);
  for (const s of servers.slice(1)) s.child.send('stop');
  await Promise.all(servers.map((s) => exited(s.child)));

  const runs = new Map<number, number>();
  for (const log of logs) {
    let text = '';
    try {
      text = readFileSync(log, 'utf8');
    } catch {
      // A server that never ran a handler has no log.
    }
    for (const line of text.split('\n')) if (line !== '') runs.set(Number(line), (runs.get(Number(line)) ?? 0) + 1);
  }
  rmSync(dir, { recursive: true, force: true });
  const ejection = failovers.find((f) => f.event === 'ejected' && f.peer.port === victim.port);
  const affected = calls.filter((c) => c.idempotent && c.firstPort === victim.port && c.endedAt > killedAt);
  const puts = calls.filter((c) => !c.idempotent);
  if (process.env['DEBUG_FAILOVER']) {
    console.log('retransmissions to the victim after the kill (ms):', retries.filter(([p, t]) => p === victim.port && t > killedAt).map(([, t]) => Math.round(t - killedAt)).slice(0, 30).join(' '));
    console.log(failovers.map((f) => `${f.event} ${f.peer.port} ${f.reason} ${f.calls}/${f.moved} at ${Math.round(f.at - killedAt)}`));
    console.log(affected.map((c) => `${c.tag}: ${Math.round(c.startedAt - killedAt)}..${Math.round(c.endedAt - killedAt)} ${c.code}`).join('\n'));
  }
  return {
    ejectionMs: ejection === undefined ? undefined : ejection.at - killedAt,
    reason: ejection?.reason,
    moved: ejection?.moved,
    lastAffectedMs: Math.max(0, ...affected.map((c) => c.endedAt - killedAt)),
    affected: affected.length,
    calls: calls.length,
    failedIdempotent: calls.filter((c) => c.idempotent && !c.ok).length,
    ranTwice: puts.filter((c) => (runs.get(c.tag) ?? 0) > 1).length,
    putsFailed: puts.filter((c) => !c.ok).length,
    putsFailedMayHaveRun: puts.filter((c) => !c.ok && c.mayHaveRun).length,
    loopDelayP99Ms: lag.percentile(99) / 1e6,
    loopDelayMaxMs: lag.max / 1e6,
  };
}

const fmt = (ms: number | undefined): string => (ms === undefined ? 'never' : `${Math.round(ms)} ms`);
console.log(`load average ${loadavg().map((l) => l.toFixed(1)).join(' ')} on ${availableParallelism()} cores`);
console.log(`3 servers on 127.0.0.1, ${HANDLER_MS} ms handlers, ${IDEMPOTENT_LOOPS} idempotent + ${PUT_LOOPS} non-idempotent call loops, SIGKILL of one at ${KILL_AFTER_MS} ms, default options`);
const results: RoundResult[] = [];
for (let i = 0; i < ROUNDS; i++) {
  const r = await round();
  results.push(r);
  console.log(
    `round ${i + 1}: ejected after ${fmt(r.ejectionMs)} (${r.reason ?? '-'}, ${r.moved ?? 0} calls moved); ` +
      `last affected idempotent call done ${fmt(r.lastAffectedMs)} after the kill (${r.affected} affected); ` +
      `${r.calls} calls, ${r.failedIdempotent} idempotent failed, ${r.ranTwice} non-idempotent ran twice, ` +
      `${r.putsFailed} non-idempotent failed (${r.putsFailedMayHaveRun} with mayHaveRun); ` +
      `client event-loop delay p99 ${fmt(r.loopDelayP99Ms)}, max ${fmt(r.loopDelayMaxMs)}`,
  );
}
const worst = (f: (r: RoundResult) => number | undefined): number | undefined => {
  const values = results.map(f);
  return values.some((v) => v === undefined) ? undefined : Math.max(...(values as number[]));
};
console.log(
  `worst of ${ROUNDS}: ejection ${fmt(worst((r) => r.ejectionMs))}, last affected idempotent call ${fmt(worst((r) => r.lastAffectedMs))}, ` +
    `${worst((r) => r.failedIdempotent)} idempotent failed, ${worst((r) => r.ranTwice)} non-idempotent ran twice`,
);
