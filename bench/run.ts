// `npm run bench`: udprpc against a hand-written node:dgram baseline (and the
// optional peers k-rpc-socket and coap), server and client in separate
// processes on loopback. Table on stdout, JSON in bench/results/, progress on
// stderr. `npm run bench -- --help` lists the options.
import { spawn } from 'node:child_process';
import { loadavg } from 'node:os';
import { parseArgs } from './lib/config.js';
import { evaluateGoals, formatGoals } from './lib/goals.js';
import { childExecArgv, entry } from './lib/paths.js';
import { Progress } from './lib/progress.js';
import { buildReport, formatTable, writeReport, type ScenarioResult } from './lib/report.js';
import { mergeRounds } from './lib/rounds.js';
import { emptyRow, rowBudgetMs, runRow, type RowResult } from './lib/row.js';
import { PEER_IMPLS, planScenarios, roundsOf } from './lib/scenarios.js';
import { importPeer, PEERS } from './peers/load.js';

const SKIPPED = 'skipped (not installed)';

async function main(): Promise<number> {
  const config = parseArgs(process.argv.slice(2));
  const startedAt = new Date();
  // The load before we start anything (bench processes raise it themselves).
  const loadAvgStart = loadavg()[0] ?? 0;
  const plans = planScenarios(config);

  const peers: Record<string, string> = {};
  if (config.peers) {
    for (const name of PEERS) peers[name] = (await importPeer(name)) === undefined ? SKIPPED : 'measured';
  }
  const runnable = (impl: string): boolean => !PEER_IMPLS.includes(impl as never) || peers[impl] === 'measured';

  // Every process we start ends by itself; this bounds the whole run as well.
  const globalBudget = plans.reduce((sum, p) => sum + roundsOf(p, config) * p.rows.length * rowBudgetMs(p, config), 60_000);
  setTimeout(() => {
    process.stderr.write(`bench: global timeout of ${globalBudget} ms reached\n`);
    process.exit(4);
  }, globalBudget).unref();

  const total = plans.reduce((n, p) => n + roundsOf(p, config) * p.rows.filter((r) => runnable(r.impl)).length, 0);
  const progress = new Progress(total);
  const results: ScenarioResult[] = [];
  let failures = 0;
  for (const plan of plans) {
    const rounds: RowResult[][] = [];
    const n = roundsOf(plan, config);
    for (let round = 1; round <= n; round++) {
      const rows: RowResult[] = [];
      for (const row of plan.rows) {
        if (!runnable(row.impl)) {
          rows.push(emptyRow(row, SKIPPED));
          continue;
        }
        const label = `${plan.id} · ${row.label}${n > 1 ? ` · round ${round}/${n}` : ''}`;
        progress.start(label, config.warmupMs + config.durationMs + 1000);
        const result = await runRow(plan, row, config);
        if (result.status === 'error') {
          failures++;
          progress.note(`${label}: ${result.error ?? 'failed'}`);
        }
        rows.push(result);
      }
      rounds.push(rows);
    }
    results.push(mergeRounds(plan, rounds));
  }
  progress.finish();

  const goals = evaluateGoals(results);
  process.stdout.write(`${formatTable(results, peers, loadAvgStart)}\n${formatGoals(goals).join('\n')}`);
  const path = writeReport({ ...buildReport(config, startedAt, loadAvgStart, peers, results), goals }, config.outDir);
  process.stderr.write(`bench: results written to ${path}\n`);
  // Multi-core scaling (1 vs 2 worker processes) in the full run only.
  const scaling = config.mode === 'full' && config.only.length === 0 ? await runScaling() : 0;
  return failures === 0 && scaling === 0 ? 0 : 1;
}

// bench/scaling runs as its own process, compiled or from sources like this one.
function runScaling(): Promise<number> {
  process.stdout.write('\nscaling: one service on 1 vs 2 worker processes (startCluster), 64 in flight\n');
  const child = spawn(process.execPath, [...childExecArgv, entry('scaling'), '--seconds', '2', '--rounds', '2'], { stdio: ['ignore', 'inherit', 'inherit'] });
  return new Promise((resolve) => child.on('exit', (code) => resolve(code ?? 1)));
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`bench: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(2);
  },
);
