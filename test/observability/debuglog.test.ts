// NODE_DEBUG=udprpc (docs/observability.md): a child process runs a client
// and a server on 127.0.0.1 through listen, a retransmission, a drop on each
// side, a pushback and close (fixtures/debug-run.ts). With NODE_DEBUG=udprpc
// its stderr holds exactly one line per step, in order; without it, nothing.
// Bounded: the child gives up after 5 s on its own and is killed after 30 s.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const fixture = fileURLToPath(new URL('./fixtures/debug-run.ts', import.meta.url));

interface Run {
  stdout: string;
  stderr: string;
}

function run(nodeDebug: string | undefined): Promise<Run> {
  const env = { ...process.env };
  delete env.NODE_DEBUG;
  if (nodeDebug !== undefined) env.NODE_DEBUG = nodeDebug;
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', '--conditions=@udprpc/source', fixture],
      { env, timeout: 30_000, killSignal: 'SIGKILL' },
      (error, stdout, stderr) => (error ? reject(Object.assign(error, { stderr })) : resolve({ stdout, stderr })),
    );
  });
}

type Address = { address: string; port: number };
const at = (a: Address): string => `${a.address}:${a.port}`;

it('NODE_DEBUG=udprpc: one stderr line per lifecycle step, retransmit, drop and pushback, in order', { timeout: 60_000 }, async () => {
  const { stdout, stderr } = await run('udprpc');
  const { serverAddress, clientAddress, attackerAddress, holderAddress } = JSON.parse(stdout) as Record<string, Address>;
  const lines = stderr.trimEnd().split('\n');
  const prefix = `UDPRPC ${'\\d+'}: `;
  const expected = [
    `server listening on ${at(serverAddress!)}`,
    `client listening on ${at(clientAddress!)}`,
    `client retransmit id=\\d+ attempt=1 to ${at(serverAddress!)} rto=300ms`,
    `server drop truncated from ${at(attackerAddress!)}`,
    `client drop truncated from ${at(attackerAddress!)}`,
    `client listening on ${at(holderAddress!)}`,
    `client pushback id=\\d+ from ${at(serverAddress!)} retry-after=50ms`,
    'client closed',
    'client closed',
    'server closed',
  ];
  expect(lines.length, stderr).toBe(expected.length);
  lines.forEach((line, i) => expect(line).toMatch(new RegExp(`^${prefix}${expected[i]!.replaceAll('.', '\\.')}$`)));
});

it('without NODE_DEBUG: the same run writes nothing to stderr', { timeout: 60_000 }, async () => {
  const { stdout, stderr } = await run(undefined);
  expect(stdout).toMatch(/^\{"serverAddress"/);
  expect(stderr).toBe('');
});

it('NODE_DEBUG naming another module only: nothing from udprpc', { timeout: 60_000 }, async () => {
  const { stderr } = await run('udprpcx,net2');
  expect(stderr).toBe('');
});
