// `udprpc --version`, `bench --json`, and what a port out of range says; in-process.
import { readFileSync } from 'node:fs';
import type { BenchReportJson } from '@udprpc/cli';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCalcServer, type CalcServer } from './calc-server.js';
import { runCli } from './run-cli.js';

const cliVersion = (JSON.parse(readFileSync(new URL('../../packages/cli/package.json', import.meta.url), 'utf8')) as { version: string }).version;

let calc: CalcServer;
beforeAll(async () => {
  calc = await startCalcServer();
});
afterAll(async () => {
  await calc.close();
});

describe('udprpc --version', () => {
  it('prints the package version and exits 0', async () => {
    expect(await runCli(['--version'])).toEqual({ code: 0, stdout: `${cliVersion}\n`, stderr: '' });
    expect(await runCli(['-v'])).toEqual({ code: 0, stdout: `${cliVersion}\n`, stderr: '' });
  });

  it('is listed in --help', async () => {
    expect((await runCli(['--help'])).stdout).toContain('udprpc --version');
  });
});

describe('udprpc bench --json', () => {
  it('prints one JSON object whose counts add up', async () => {
    const r = await runCli(['bench', calc.url, 'calc.add', '{"a":1,"b":2}', '--concurrency', '2', '--duration', '200ms', '--json']);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as Record<string, unknown> & { latencyMs: BenchReportJson['latencyMs'] & object; histogram: { count: number }[] };
    expect(Object.keys(report).sort()).toEqual(
      ['calls', 'callsPerSecond', 'concurrency', 'durationMs', 'elapsedMs', 'errors', 'failed', 'histogram', 'latencyMs', 'method', 'ok', 'url'].sort(),
    );
    expect(report).toMatchObject({ url: calc.url, method: 'calc.add', concurrency: 2, durationMs: 200, failed: 0, errors: {} });
    expect(report.calls).toBe(report.ok);
    expect(report.ok as number).toBeGreaterThan(0);
    expect(report.histogram.reduce((n, row) => n + row.count, 0)).toBe(report.ok);
    const l = report.latencyMs;
    expect(l.min <= l.p50 && l.p50 <= l.p90 && l.p90 <= l.p99 && l.p99 <= l['p99.9'] && l['p99.9'] <= l.max * 1.01).toBe(true);
  });

  it('reports failures by code, with latencyMs null when nothing succeeded', async () => {
    const r = await runCli(['bench', calc.url, 'calc.div', '{"a":1,"b":0}', '--concurrency', '1', '--duration', '100ms', '--json']);
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout) as { ok: number; failed: number; latencyMs: unknown; errors: Record<string, { count: number; sample: string }> };
    expect(report.ok).toBe(0);
    expect(report.latencyMs).toBeNull();
    expect(Object.keys(report.errors)).toEqual(['INVALID_ARGUMENT']);
    expect(report.errors.INVALID_ARGUMENT!.count).toBe(report.failed);
  });
});

describe('ports out of range', () => {
  it.each([
    ['udp://127.0.0.1:70000', 'port 70000 in udp://127.0.0.1:70000 is out of range: expected 1 to 65535'],
    ['udp://127.0.0.1:0', 'port 0 in udp://127.0.0.1:0 is out of range: expected 1 to 65535'],
    ['udp://[::1]:65536', 'port 65536 in udp://[::1]:65536 is out of range: expected 1 to 65535'],
    ['udp://host:http', 'port "http" in udp://host:http is not a number (expected udp://host:port)'],
  ])('%s: a usage error that says so', async (url, message) => {
    const r = await runCli(['call', url, 'calc.add', '{}']);
    expect(r.code).toBe(64);
    expect(r.stderr.split('\n')[0]).toBe(`udprpc call: ${message}`);
  });
});

describe('input the codec cannot encode', () => {
  it('JSON nested too deeply fails as INVALID_ARGUMENT (exit 5) saying so, before anything is sent', async () => {
    const deep = `${'['.repeat(50_000)}${']'.repeat(50_000)}`;
    const r = await runCli(['call', calc.url, 'calc.echo', deep, '--timeout', '2000']);
    expect(r).toEqual({
      code: 5,
      stdout: '',
      stderr: 'INVALID_ARGUMENT: could not encode the request: msgpack codec cannot encode this value: it nests arrays and maps more than 512 levels deep\n',
    });
  });
});
