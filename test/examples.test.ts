// Runs the examples the README points at, as a user would: each in its own
// Node process with the tsx loader, over real UDP on 127.0.0.1. Every child is
// killed if it outlives its time limit, and again after the test if needed.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const children = new Set<ChildProcess>();

interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

/** Runs a TypeScript file with node + tsx from the repository root; kills it after `limitMs`. */
function runScript(script: string, limitMs: number): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=@udprpc/source', script], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, FORCE_COLOR: '0' },
    });
    children.add(child);
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, limitMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      children.delete(child);
      reject(error);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      children.delete(child);
      resolve({ code, signal, stdout, stderr, timedOut });
    });
  });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

afterEach(() => {
  for (const child of children) child.kill('SIGKILL');
  children.clear();
});

describe('examples', () => {
  it('npm run demo: the calculator server in its own process, the client session against it', async () => {
    const r = await runScript('examples/calculator/src/demo.ts', 25_000);
    const context = `stdout:\n${r.stdout}\nstderr:\n${r.stderr}`;
    expect(r.timedOut, context).toBe(false);
    expect(r.code, context).toBe(0);

    const lines = r.stdout.split('\n');
    expect(lines).toContain('add(2, 3) = 5');
    expect(lines).toContain('add(40, 2) = 42');
    expect(lines).toContain(
      'div(1, 0) failed: INVALID_ARGUMENT "division by zero" details={"field":"b","dividend":1} remote=true',
    );
    expect(lines).toContain('slowSquare(7) with timeoutMs 100 failed: DEADLINE_EXCEEDED remote=false');
    expect(lines).toContain('slowSquare(8) aborted after 50 ms: CANCELLED remote=false');
    expect(lines).toContain('slowSquare(9) in 20 ms = 81');
    expect(lines).toContain('log notification sent');
    expect(r.stdout).toMatch(/^latency over 200 sequential adds: p50 \d+ µs, p99 \d+ µs$/m);
    expect(r.stdout).toMatch(/^client stats: 208 calls, 205 responses, 1 errors, 1 timeouts, 1 cancelled, /m);
    // Both logging interceptors ran, and the server saw the notification.
    expect(r.stdout).toMatch(/^\[client\] calc\.div INVALID_ARGUMENT [\d.]+ ms → 127\.0\.0\.1:\d+$/m);
    expect(r.stdout).toMatch(/^\[server\] calc\.div INVALID_ARGUMENT [\d.]+ ms ← 127\.0\.0\.1:\d+$/m);
    expect(lines).toContain('[server] log from 127.0.0.1: hello from the calculator client');
    // The server stopped because its stdin closed, and its process is gone.
    expect(r.stdout).toMatch(/^\[server\] stopped \(stdin closed\): /m);
    expect(lines.at(-2)).toBe('demo: OK');
    const pid = Number(/^demo: server process (\d+) is listening at udp:\/\/127\.0\.0\.1:\d+$/m.exec(r.stdout)?.[1]);
    expect(pid).toBeGreaterThan(0);
    expect(isAlive(pid)).toBe(false);
  });

  it('echo: a string and a 200 KB buffer (fragmented) come back unchanged', async () => {
    const r = await runScript('examples/echo/src/echo.ts', 25_000);
    const context = `stdout:\n${r.stdout}\nstderr:\n${r.stderr}`;
    expect(r.timedOut, context).toBe(false);
    expect(r.code, context).toBe(0);
    expect(r.stdout).toBe('hello, udprpc\nechoed 204800 bytes in fragments: identical\n');
  });

  it('tracing: the server span of each call, in another process, is a child of the client span (console exporter)', async () => {
    // Three Node processes with the tsx loader (the demo, the server, the client): more time than the others.
    const r = await runScript('examples/tracing/src/demo.ts', 40_000);
    const context = `stdout:\n${r.stdout}\nstderr:\n${r.stderr}`;
    expect(r.timedOut, context).toBe(false);
    expect(r.code, context).toBe(0);
    expect(r.stderr).toBe('');
    const lines = r.stdout.split('\n');
    expect(lines).toContain('[client] quote ABC-123 × 3 = 750 cents');
    expect(lines).toContain('[client] quote NOPE-000 failed: NOT_FOUND no such SKU: NOPE-000');
    expect(lines).toContain("[server]   status: { code: 2, message: 'no such SKU: NOPE-000' },");
    // Both calls in the checkout's one trace, each server span under its client span.
    const links = [...r.stdout.matchAll(/^demo: trace ([0-9a-f]{32}): checkout ([0-9a-f]{16}) \(shop-client\) → CLIENT [0-9a-f]{16} → SERVER [0-9a-f]{16} \(price-server\)$/gm)];
    expect(links).toHaveLength(2);
    expect(links[0]![1]).toBe(links[1]![1]);
    expect(lines.at(-2)).toBe('demo: OK');
  }, 45_000);

  it('validation: a zod contract rejects an invalid order before sending and publishes its JSON Schema', async () => {
    const r = await runScript('examples/validation/src/shop.ts', 25_000);
    const context = `stdout:\n${r.stdout}\nstderr:\n${r.stderr}`;
    expect(r.timedOut, context).toBe(false);
    expect(r.code, context).toBe(0);
    expect(r.stdout).toBe(
      [
        'order 3 × ABC-123: 750 cents',
        'invalid order: INVALID_ARGUMENT remote=false',
        '  sku: a SKU looks like ABC-123',
        '  qty: Too small: expected number to be >=1',
        'published input schema requires: sku, qty',
        '',
      ].join('\n'),
    );
  });
});
