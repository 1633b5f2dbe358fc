// Proves that `npm run bench` runs end to end: server and client processes,
// every scenario, the table and the JSON report. Numbers are not checked —
// benchmarks are never assertions.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../', import.meta.url));
const out = mkdtempSync(join(tmpdir(), 'udprpc-bench-smoke-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

function runBench(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=@udprpc/source', 'bench/run.ts', ...args], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NODE_OPTIONS: '' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    // 17 rows (add-64-zod brought two), each a fresh server and client process: ~100 s on a loaded 2-core machine.
    const timer = setTimeout(() => child.kill('SIGKILL'), 200_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('bench --smoke', () => {
  it('runs every scenario in separate processes, prints the table and writes the JSON report', async () => {
    const { code, stdout, stderr } = await runBench(['--smoke', `--out=${out}`]);
    expect(code, stderr).toBe(0);
    expect(stdout).toContain('add-64-loss');
    expect(stdout).toMatch(/calls\/s/);

    const files = readdirSync(out).filter((f) => f.endsWith('.json'));
    expect(files).toHaveLength(1);
    const report = JSON.parse(readFileSync(join(out, files[0]!), 'utf8')) as Record<string, unknown> & {
      scenarios: Array<{ id: string; baseline: string; rows: Array<Record<string, unknown>> }>;
      peers: Record<string, string>;
    };
    expect(report).toMatchObject({ schema: 'udprpc-bench/1', mode: 'smoke' });
    expect(Object.keys(report)).toEqual(
      expect.arrayContaining(['startedAt', 'finishedAt', 'config', 'environment', 'peers', 'scenarios']),
    );
    expect(report.scenarios.map((s) => s.id)).toEqual(['add-1', 'add-64', 'add-64-zod', 'echo-1k-64', 'echo-1mib', 'echo-1mib-loss', 'add-64-loss']);
    for (const name of ['k-rpc-socket', 'coap']) {
      expect(['measured', 'skipped (not installed)']).toContain(report.peers[name]);
    }
    const rowKeys = [
      'impl', 'label', 'status', 'completed', 'failed', 'callsPerSec', 'latency', 'clientCpuUsPerCall',
      'serverCpuUsPerCall', 'clientMaxRssBytes', 'serverMaxRssBytes', 'mbPerSec', 'ratios',
    ];
    for (const scenario of report.scenarios) {
      const labels = scenario.rows.map((r) => r.label);
      expect(labels).toContain(scenario.baseline);
      expect(labels.some((l) => String(l).startsWith('udprpc'))).toBe(true);
      for (const row of scenario.rows) {
        expect(Object.keys(row)).toEqual(expect.arrayContaining(rowKeys));
        if (row.status === 'skipped (not installed)') continue;
        expect(row.status, `${scenario.id} ${String(row.label)}: ${String(row.error)}`).toBe('ok');
        expect(Object.keys(row.latency as object)).toEqual(expect.arrayContaining(['p50Us', 'p99Us', 'p999Us']));
      }
    }
    const large = report.scenarios.find((s) => s.id === 'echo-1mib')!;
    expect(large.rows.map((r) => r.label)).toEqual(['udprpc', 'udprpc dgram=1200', 'udprpc dgram=65507', 'raw-blast']);
  }, 230_000);
});
