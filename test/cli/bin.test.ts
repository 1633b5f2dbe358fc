import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCalcServer, type CalcServer } from './calc-server.js';

// The real `udprpc` launcher in a child process: from the sources through
// tsx (no build needed), with real stdio, stdin and exit codes.

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const bin = fileURLToPath(new URL('../../packages/cli/bin/udprpc.js', import.meta.url));

interface Spawned {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs the bin to completion (killed after 20 s at the latest, so no process
 * outlives the test). `onStdout` sees the output so far and may signal the child.
 */
function spawnCli(args: string[], options: { stdin?: string; onStdout?: (soFar: string, kill: (s: NodeJS.Signals) => void) => void } = {}): Promise<Spawned> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], {
      cwd: repoRoot,
      env: { ...process.env, UDPRPC_CLI_FROM_SOURCE: '1' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const guard = setTimeout(() => child.kill('SIGKILL'), 20_000);
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      options.onStdout?.(stdout, (s) => child.kill(s));
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(guard);
      resolve({ code, signal, stdout, stderr });
    });
    child.stdin.end(options.stdin ?? '');
  });
}

let calc: CalcServer;
beforeAll(async () => {
  calc = await startCalcServer();
});
afterAll(async () => {
  await calc.close();
});

describe('the udprpc bin', () => {
  it('prints the help without a build', async () => {
    const r = await spawnCli(['--help']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^udprpc — /);
    expect(r.stdout).toMatch(/^Exit codes:$/m);
  });

  it('calls a method with input from stdin and prints JSON', async () => {
    const r = await spawnCli(['call', calc.url, 'calc.add', '-'], { stdin: '{"a":40,"b":2}' });
    expect(r).toMatchObject({ code: 0, stdout: '42\n', stderr: '' });
  });

  it('exits with the error code and prints CODE: message on stderr', async () => {
    const r = await spawnCli(['call', calc.url, 'calc.div', '{"a":1,"b":0}']);
    expect(r.code).toBe(5);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^INVALID_ARGUMENT: division by zero\n/);
  });

  it('exits 64 with usage on stderr for an unknown command', async () => {
    const r = await spawnCli(['frobnicate']);
    expect(r.code).toBe(64);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/unknown command "frobnicate"[\s\S]*Usage:/);
  });

  it('stops ping on Ctrl-C and still prints the summary', async () => {
    let interrupted = false;
    const r = await spawnCli(['ping', calc.url, '-c', '200', '-i', '50'], {
      onStdout: (soFar, kill) => {
        if (!interrupted && soFar.includes('pong from')) {
          interrupted = true;
          kill('SIGINT');
        }
      },
    });
    expect(interrupted).toBe(true);
    expect(r.signal).toBeNull();
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^\d+ probes transmitted, \d+ received, [\d.]+% loss/m);
  });
});
