import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExitCode, exitCodeForRpcError, HealthExitCode } from '@udprpc/cli';
import { createClient, createServer } from 'udprpc';
import { calc, startCalcServer, type CalcServer } from './calc-server.js';
import { runCli } from './run-cli.js';

// `udprpc health` run in-process against real servers on 127.0.0.1.

let calcServer: CalcServer;
beforeAll(async () => {
  calcServer = await startCalcServer();
});
afterAll(async () => {
  await calcServer.close();
});

describe('udprpc health', () => {
  it('prints SERVING and exits 0 for the whole server and for an implemented service', async () => {
    expect(await runCli(['health', calcServer.url])).toEqual({ code: 0, stdout: 'SERVING\n', stderr: '' });
    expect(await runCli(['health', calcServer.url, '--service', 'calc'])).toEqual({ code: 0, stdout: 'SERVING\n', stderr: '' });
  });

  it('exits 21 with SERVICE_UNKNOWN for a service the server does not have', async () => {
    const r = await runCli(['health', calcServer.url, '--service', 'nope']);
    expect(r).toEqual({ code: 21, stdout: 'SERVICE_UNKNOWN\n', stderr: '' });
    expect(HealthExitCode.SERVICE_UNKNOWN).toBe(ExitCode.SERVICE_UNKNOWN);
  });

  it('exits 20 with NOT_SERVING for a service set not serving; the server as a whole still serves', async () => {
    const other = await startCalcServer();
    try {
      other.server.setServing('calc', false);
      expect(await runCli(['health', other.url, '--service', 'calc'])).toEqual({ code: 20, stdout: 'NOT_SERVING\n', stderr: '' });
      expect((await runCli(['health', other.url])).code).toBe(0);
      other.server.setServing('', false);
      expect(await runCli(['health', other.url])).toEqual({ code: 20, stdout: 'NOT_SERVING\n', stderr: '' });
    } finally {
      await other.close();
    }
  });

  it('answers NOT_SERVING (exit 20) while the server drains, then exits 1 (unreachable) once it is gone', async () => {
    const draining = await startCalcServer();
    const caller = createClient({ url: draining.url });
    const slow = caller.stub(calc).slow({ ms: 1500 });
    await new Promise((resolve) => setTimeout(resolve, 100));
    const closing = draining.server.close({ graceMs: 5000, lingerMs: 0 });
    try {
      expect(await runCli(['health', draining.url])).toEqual({ code: 20, stdout: 'NOT_SERVING\n', stderr: '' });
      expect(await slow).toBe('done');
      await closing;
      const gone = await runCli(['health', draining.url, '--timeout', '300']);
      expect(gone.code).toBe(1);
      expect(gone.stdout).toBe('');
      expect(gone.stderr).toMatch(/^UNREACHABLE: (DEADLINE_EXCEEDED|UNAVAILABLE): /);
    } finally {
      await caller.close();
      await draining.close();
    }
  });

  it('reports other errors like call does: a server that requires authentication answers UNAUTHENTICATED, exit 2 + 16', async () => {
    const guarded = createServer({ host: '127.0.0.1', port: 0, requireAuth: true });
    const address = await guarded.listen();
    try {
      const r = await runCli(['health', `udp://127.0.0.1:${address.port}`]);
      expect(r.code).toBe(exitCodeForRpcError('UNAUTHENTICATED'));
      expect(r.code).toBe(18);
      expect(r.stderr).toMatch(/^UNAUTHENTICATED: udprpc.health requires an authenticated peer\n/);
    } finally {
      await guarded.close();
    }
  });

  it('has help, and usage errors exit 64', async () => {
    const help = await runCli(['help', 'health']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage:\n {2}udprpc health /m);
    expect(help.stdout).toMatch(/0 SERVING, 20 NOT_SERVING, 21 SERVICE_UNKNOWN, 1 unreachable/);
    expect(await runCli(['health', calcServer.url, '--help'])).toEqual(help);
    const tool = await runCli(['--help']);
    expect(tool.stdout).toMatch(/^ {2}20 +health: NOT_SERVING$/m);
    expect(tool.stdout).toMatch(/^ {2}21 +health: SERVICE_UNKNOWN$/m);
    for (const argv of [['health'], ['health', calcServer.url, 'extra'], ['health', calcServer.url, '--service']]) {
      const r = await runCli(argv);
      expect(r.code, argv.join(' ')).toBe(ExitCode.USAGE);
    }
  });
});
