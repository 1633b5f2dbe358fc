// The targets the bench is measured against (issue 14), printed beside what
// this run measured: met or not met. A goal whose scenarios did not both run
// (e.g. --only left one out) is not printed.
import type { ScenarioResult } from './report.js';

/** One goal as measured in this run. */
export interface GoalResult {
  goal: string;
  measured: string;
  met: boolean;
}

const okRow = (results: ScenarioResult[], scenario: string, label: string) =>
  results.find((s) => s.id === scenario)?.rows.find((r) => r.label === label && r.status === 'ok');

/** Every goal both of whose rows ran. */
export function evaluateGoals(results: ScenarioResult[]): GoalResult[] {
  const goals: GoalResult[] = [];
  // Loss detection (protocol.md §7.2): add-64 at the loss scenario's rate keeps
  // half its lossless throughput (moonshot 0.8x), with p99 <= 5 ms.
  const lossless = okRow(results, 'add-64', 'udprpc');
  const lossy = okRow(results, 'add-64-loss', 'udprpc');
  const p99Us = lossy?.latency?.p99Us;
  if (lossless?.callsPerSec && lossy?.callsPerSec != null && p99Us != null) {
    const ratio = lossy.callsPerSec / lossless.callsPerSec;
    const p99Ms = p99Us / 1000;
    const pct = Math.round((results.find((s) => s.id === 'add-64-loss')?.lossRate ?? 0) * 1000) / 10;
    goals.push({
      goal: `add-64 at ${pct}% loss each way >= 0.5x lossless add-64 (moonshot 0.8x), p99 <= 5 ms`,
      measured: `${ratio.toFixed(2)}x, p99 ${p99Ms.toFixed(1)} ms`,
      met: ratio >= 0.5 && p99Ms <= 5,
    });
  }
  // Path MTU discovery (protocol.md §7.5): a 1 MiB echo with default options
  // (no maxDatagramBytes) moves at least 400 MB/s on loopback.
  const MiB = 1024 * 1024;
  const echo1 = okRow(results, 'echo-1mib', 'udprpc');
  if (echo1?.mbPerSec != null) {
    goals.push({ goal: '1 MiB echo, default options, >= 400 MB/s', measured: `${echo1.mbPerSec.toFixed(0)} MB/s`, met: echo1.mbPerSec >= 400 });
  }
  // ...and keeps half of that at the loss scenario's rate.
  const echo1Loss = okRow(results, 'echo-1mib-loss', 'udprpc');
  if (echo1?.mbPerSec && echo1Loss?.mbPerSec != null) {
    const pct = Math.round((results.find((s) => s.id === 'echo-1mib-loss')?.lossRate ?? 0) * 1000) / 10;
    const ratio = echo1Loss.mbPerSec / echo1.mbPerSec;
    goals.push({
      goal: `1 MiB echo at ${pct}% loss each way >= 0.5x lossless (default options)`,
      measured: `${ratio.toFixed(2)}x (${echo1Loss.mbPerSec.toFixed(0)} of ${echo1.mbPerSec.toFixed(0)} MB/s)`,
      met: ratio >= 0.5,
    });
  }
  // Large-message memory: peak RSS over idle, per process, <= 3x the message.
  const echo16 = okRow(results, 'echo-16mib', 'udprpc');
  if (echo16 && echo16.clientIdleRssBytes != null && echo16.serverIdleRssBytes != null && echo16.clientMaxRssBytes != null && echo16.serverMaxRssBytes != null) {
    const cli = (echo16.clientMaxRssBytes - echo16.clientIdleRssBytes) / (16 * MiB);
    const srv = (echo16.serverMaxRssBytes - echo16.serverIdleRssBytes) / (16 * MiB);
    goals.push({
      goal: '16 MiB echoes: peak RSS growth over idle <= 3x the message (client, server)',
      measured: `client ${cli.toFixed(2)}x, server ${srv.toFixed(2)}x`,
      met: cli <= 3 && srv <= 3,
    });
  }
  return goals;
}

/** The goals as lines for the table on stdout (none when no goal could be evaluated). */
export function formatGoals(goals: GoalResult[]): string[] {
  if (goals.length === 0) return [];
  return ['goals:', ...goals.map((g) => `  ${g.goal}: ${g.measured} (${g.met ? 'met' : 'not met'})`), ''];
}
