// A client must not keep its process alive when idle (a forgotten client), but
// must while a call is in flight; `await using` closes clients and servers.
import { spawn } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { fileURLToPath } from 'node:url';
import { createClient, createServer, defineContract, method, type Server } from 'udprpc';
import { afterEach, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const fixture = fileURLToPath(new URL('./fixtures/forgotten-client.ts', import.meta.url));
const calc = defineContract('calc', { add: method<{ a: number; b: number }, number>() });

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

async function calcServer(): Promise<{ server: Server; port: number }> {
  const server = createServer({ host: '127.0.0.1', port: 0 }).implement(calc, { add: ({ a, b }) => a + b });
  const { port } = await server.listen();
  cleanups.push(() => server.close());
  return { server, port };
}

function silentSocket(): Promise<{ socket: Socket; port: number }> {
  return new Promise((resolve) => {
    const socket = createSocket('udp4');
    socket.bind(0, '127.0.0.1', () => resolve({ socket, port: socket.address().port }));
    cleanups.push(() => new Promise<void>((done) => socket.close(() => done())));
  });
}

/** Runs the fixture; kills it if it is still running after `limitMs` (the failure this test looks for). */
function runChild(args: string[], limitMs: number): Promise<{ code: number | null; stdout: string; stderr: string; timedOut: boolean }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=@udprpc/source', fixture, ...args], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, limitMs);
    cleanups.push(() => void child.kill('SIGKILL'));
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, timedOut });
    });
  });
}

describe('process lifetime', () => {
  it('a process whose clients are never closed exits by itself, after its calls (also one to a silent port) end', async () => {
    const { port } = await calcServer();
    const silent = await silentSocket();
    // tsx start-up takes a few seconds on a loaded machine; a hang is the full 20 s.
    const result = await runChild([String(port), String(silent.port)], 20_000);
    expect({ timedOut: result.timedOut, stderr: result.stderr }).toEqual({ timedOut: false, stderr: '' });
    expect(result.stdout).toBe('5\nDEADLINE_EXCEEDED\n');
    expect(result.code).toBe(0);
  });

  it('await using closes the client and the server at the end of the block', async () => {
    let clientClosed = 0;
    let serverClosed = 0;
    {
      await using server = createServer({ host: '127.0.0.1', port: 0 }).implement(calc, { add: ({ a, b }) => a + b });
      server.on('close', () => serverClosed++);
      const { port } = await server.listen();
      await using client = createClient({ url: `udp://127.0.0.1:${port}` });
      client.on('close', () => clientClosed++);
      expect(await client.stub(calc).add({ a: 1, b: 2 })).toBe(3);
    }
    expect({ clientClosed, serverClosed }).toEqual({ clientClosed: 1, serverClosed: 1 });
  });
});
