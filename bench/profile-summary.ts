// Summarises V8 .cpuprofile files (from `npm run bench -- --cpu-prof`): the
// functions with the most self time, and the share of GC and idle time.
//   npx tsx bench/profile-summary.ts bench/results/profiles/add-64.udprpc.client [--top=25] [--skip-ms=1500]
// Arguments are .cpuprofile files or directories (each child writes into its
// own; only main-thread profiles, thread id 0, are read from a directory).
// --skip-ms leaves out the first milliseconds of the profile (process start-up, module loading, warm-up).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { repoRoot } from './lib/paths.js';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

const root = repoRoot;

function where(url: string, line: number): string {
  if (url === '') return '';
  const path = url.startsWith('file://') ? relative(root, fileURLToPath(url)) : url;
  return `${path.replace(/^node_modules\//, '~/')}:${line + 1}`;
}

export function summarise(path: string, top: number, skipMs = 0): string {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  // Self time per node from the sample stream (timeDeltas[i] precedes samples[i]).
  const selfUs = new Map<number, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  let t = profile.startTime;
  for (let i = 0; i < samples.length; i++) {
    t += deltas[i] ?? 0;
    if (t - profile.startTime < skipMs * 1000) continue;
    const next = deltas[i + 1] ?? 0;
    selfUs.set(samples[i]!, (selfUs.get(samples[i]!) ?? 0) + next);
  }
  const totals = new Map<string, number>();
  const files = new Map<string, number>();
  let all = 0;
  for (const [id, us] of selfUs) {
    const n = byId.get(id);
    if (n === undefined) continue;
    const f = n.callFrame;
    const key = `${f.functionName || '(anonymous)'}  ${where(f.url, f.lineNumber)}`.trim();
    totals.set(key, (totals.get(key) ?? 0) + us);
    const file = f.url === '' ? f.functionName : where(f.url, 0).replace(/:\d+$/, '');
    files.set(file, (files.get(file) ?? 0) + us);
    all += us;
  }
  const busy = all - (totals.get('(idle)') ?? 0);
  const lines = [`${path}: ${(all / 1000).toFixed(0)} ms sampled${skipMs > 0 ? ` after the first ${skipMs} ms` : ''}, ${(busy / 1000).toFixed(0)} ms not idle`];
  lines.push('  self ms  % busy  function  location');
  const sorted = [...totals.entries()].filter(([k]) => k !== '(idle)').sort((a, b) => b[1] - a[1]);
  for (const [key, us] of sorted.slice(0, top)) {
    lines.push(`  ${(us / 1000).toFixed(1).padStart(7)}  ${((100 * us) / busy).toFixed(1).padStart(5)}%  ${key}`);
  }
  lines.push('  self ms  % busy  by file (or V8/native category)');
  for (const [file, us] of [...files.entries()].filter(([k]) => k !== '(idle)').sort((a, b) => b[1] - a[1]).slice(0, Math.ceil(top / 2))) {
    lines.push(`  ${(us / 1000).toFixed(1).padStart(7)}  ${((100 * us) / busy).toFixed(1).padStart(5)}%  ${file}`);
  }
  return lines.join('\n');
}

const args = process.argv.slice(2);
const topArg = args.find((a) => a.startsWith('--top='));
const top = topArg === undefined ? 25 : Number(topArg.slice(6));
const skipArg = args.find((a) => a.startsWith('--skip-ms='));
const skipMs = skipArg === undefined ? 0 : Number(skipArg.slice(10));
const files = args.filter((a) => !a.startsWith('--'));
if (files.length === 0) {
  process.stderr.write('usage: npx tsx bench/profile-summary.ts FILE.cpuprofile... [--top=N]\n');
  process.exit(2);
}
const mainThread = /^CPU\.\d+\.\d+\.\d+\.0\.\d+\.cpuprofile$/;
const expanded = files.flatMap((f) =>
  statSync(f).isDirectory() ? readdirSync(f).filter((n) => mainThread.test(n)).map((n) => join(f, n)) : [f],
);
for (const f of expanded) process.stdout.write(`${summarise(f, top, skipMs)}\n\n`);
