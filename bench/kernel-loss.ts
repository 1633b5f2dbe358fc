// `npm run bench:kernel-loss`: add-64 under loss made by the kernel, not by
// the bench's own wrapper (issue 14: "measure it also with kernel-level
// loss"). The run re-executes itself in a private network namespace
// (`unshare --net`: a loopback of its own, so nothing else on the machine is
// touched and nothing leaves it), measures add-64 there without loss, then
// adds an nftables rule that drops a random fraction of every UDP datagram
// on the namespace's output hook (each datagram crosses it once, so requests
// and replies are each dropped at that rate) and measures again. Both
// figures come from the same namespace in the same run, so their ratio is
// the cost of the loss. Needs root, unshare(1), ip(8) and nft(8)
// (`apt-get install nftables`); without them it says so and exits 3.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { childExecArgv, entry } from './lib/paths.js';
import type { BenchReport } from './lib/report.js';

const INSIDE = 'UDPRPC_BENCH_NETNS';
const TABLE = 'udprpc_bench_loss';

interface Options {
  /** Drop probability per datagram, 0..1. */
  loss: number;
  durationMs: number;
  rounds: number;
}

function parse(argv: readonly string[]): Options {
  const o: Options = { loss: 0.05, durationMs: 2000, rounds: 3 };
  for (const arg of argv) {
    const m = /^--(loss|duration-ms|rounds)=(.+)$/.exec(arg);
    if (m === null) {
      process.stdout.write('usage: npm run bench:kernel-loss -- [--loss=0.05] [--duration-ms=2000] [--rounds=3]\n');
      process.exit(arg === '--help' ? 0 : 2);
    }
    const n = Number(m[2]);
    if (!Number.isFinite(n) || n < 0) throw new RangeError(`--${m[1]} needs a non-negative number, got ${m[2]}`);
    if (m[1] === 'loss') {
      if (n >= 1) throw new RangeError(`--loss is a probability below 1, got ${n}`);
      o.loss = n;
    } else if (m[1] === 'duration-ms') o.durationMs = n;
    else o.rounds = Math.max(1, Math.round(n));
  }
  return o;
}

function run(cmd: string, args: readonly string[], input?: string): { ok: boolean; out: string } {
  const r = spawnSync(cmd, args, { input, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'], timeout: 60_000 });
  return { ok: r.status === 0, out: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}` };
}

/** Runs `npm run bench` for add-64 in this namespace and returns its udprpc and raw rows. */
function measure(o: Options, label: string): BenchReport['scenarios'][number] {
  const out = mkdtempSync(join(tmpdir(), `udprpc-kloss-${label}-`));
  const args = [...childExecArgv, entry('run'), '--only=add-64', '--no-peers', `--duration-ms=${o.durationMs}`, `--rounds=${o.rounds}`, `--out=${out}`];
  process.stderr.write(`kernel-loss: measuring add-64 ${label}\n`);
  const r = spawnSync(process.execPath, args, { stdio: ['ignore', 'inherit', 'inherit'], timeout: 20 * 60_000 });
  if (r.status !== 0) throw new Error(`bench run (${label}) exited ${r.status ?? r.signal}`);
  const file = readdirSync(out).find((f) => f.endsWith('.json'));
  if (file === undefined) throw new Error(`bench run (${label}) wrote no report`);
  const report = JSON.parse(readFileSync(join(out, file), 'utf8')) as BenchReport;
  const scenario = report.scenarios.find((s) => s.id === 'add-64');
  if (scenario === undefined) throw new Error(`bench run (${label}) has no add-64`);
  return scenario;
}

function inside(o: Options): number {
  const lo = run('ip', ['link', 'set', 'lo', 'up']);
  if (!lo.ok) throw new Error(`ip link set lo up: ${lo.out}`);
  const lossless = measure(o, 'without loss');
  const perMille = Math.round(o.loss * 1000);
  const rules = [
    `table inet ${TABLE} {`,
    '  chain out {',
    '    type filter hook output priority 0; policy accept;',
    `    meta l4proto udp numgen random mod 1000 < ${perMille} counter drop`,
    '  }',
    '}',
  ].join('\n');
  const nft = run('nft', ['-f', '-'], rules);
  if (!nft.ok) throw new Error(`nft: ${nft.out}`);
  const lossy = measure(o, `with ${perMille / 10}% kernel loss each way`);
  const counter = run('nft', ['list', 'table', 'inet', TABLE]).out.match(/packets (\d+)/)?.[1] ?? '?';

  const row = (s: typeof lossless, label: string) => s.rows.find((r) => r.label === label && r.status === 'ok');
  const base = row(lossless, 'udprpc');
  const hit = row(lossy, 'udprpc');
  const rawBase = row(lossless, 'raw-dgram');
  const rawHit = row(lossy, 'raw-dgram');
  const fmt = (n: number | null | undefined, d = 0) => (n == null ? 'n/a' : n.toFixed(d));
  const ratio = base?.callsPerSec && hit?.callsPerSec != null ? hit.callsPerSec / base.callsPerSec : null;
  const p99Ms = hit?.latency?.p99Us != null ? hit.latency.p99Us / 1000 : null;
  const lines = [
    '',
    `add-64 in a private network namespace, nftables dropping ${perMille / 10}% of UDP datagrams each way (${counter} dropped)`,
    `  udprpc    lossless ${fmt(base?.callsPerSec)} calls/s, lossy ${fmt(hit?.callsPerSec)} calls/s, p99 ${fmt(p99Ms, 1)} ms, p99.9 ${fmt(hit?.latency?.p999Us != null ? hit.latency.p999Us / 1000 : null, 1)} ms`,
    `  raw-dgram lossless ${fmt(rawBase?.callsPerSec)} calls/s, lossy ${fmt(rawHit?.callsPerSec)} calls/s (a raw call lost is a call failed)`,
    'goals:',
    `  add-64 at ${perMille / 10}% kernel loss each way >= 0.5x lossless (moonshot 0.8x), p99 <= 5 ms: ` +
      (ratio == null || p99Ms == null ? 'not measured' : `${ratio.toFixed(2)}x, p99 ${p99Ms.toFixed(1)} ms (${ratio >= 0.5 && p99Ms <= 5 ? 'met' : 'not met'})`),
    '',
  ];
  process.stdout.write(lines.join('\n'));
  return 0;
}

function outside(argv: readonly string[]): number {
  const missing = ['unshare', 'ip', 'nft'].filter((t) => !run('sh', ['-c', `command -v ${t}`]).ok);
  if (process.getuid?.() !== 0 || missing.length > 0) {
    process.stderr.write(`kernel-loss: needs root and ${['unshare', 'ip', 'nft'].join(', ')} (missing: ${missing.join(', ') || 'root'}); apt-get install nftables\n`);
    return 3;
  }
  const r = spawnSync('unshare', ['--net', '--', process.execPath, ...process.execArgv, ...childExecArgv.filter((a) => !process.execArgv.includes(a)), entry('kernel-loss'), ...argv], {
    stdio: 'inherit',
    env: { ...process.env, [INSIDE]: '1' },
    timeout: 60 * 60_000,
  });
  return r.status ?? 1;
}

const argv = process.argv.slice(2);
const options = parse(argv);
try {
  process.exitCode = process.env[INSIDE] === '1' ? inside(options) : outside(argv);
} catch (e) {
  process.stderr.write(`kernel-loss: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
}
