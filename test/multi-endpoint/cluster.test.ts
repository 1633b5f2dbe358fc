// Multi-core servers: startCluster runs one service in several worker
// processes, worker i on basePort + i, and a multi-endpoint client given all
// the ports spreads its calls over them. Real processes, real UDP on 127.0.0.1.
import { fork } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { clusterUrls, createClient, createUdpTransport, startCluster, type Cluster, type Client } from 'udprpc';
import { work } from './fixtures/work-contract.js';

const TSX = ['--import', 'tsx', '--conditions=@udprpc/source'];
const workerModule = new URL('./fixtures/pid-worker.ts', import.meta.url);

/** A base port with `count` free consecutive UDP ports on 127.0.0.1 (bounded tries). */
async function freePorts(count: number): Promise<number> {
  for (let attempt = 0; attempt < 30; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * 40_000);
    const probes = Array.from({ length: count }, (_, i) => createUdpTransport({ host: '127.0.0.1', port: base + i }));
    const bound = await Promise.allSettled(probes.map((p) => p.listen(() => {}, () => {})));
    await Promise.all(probes.map((p) => p.close()));
    if (bound.every((b) => b.status === 'fulfilled')) return base;
  }
  throw new Error('no free port range found');
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Polls (bounded) until none of `pids` is alive. */
async function waitGone(pids: readonly number[], timeoutMs: number): Promise<boolean> {
  for (let waited = 0; waited < timeoutMs; waited += 50) {
    if (!pids.some(alive)) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return !pids.some(alive);
}

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

describe('startCluster: one service on several cores', () => {
  it('clusterUrls lists one URL per worker port', () => {
    expect(clusterUrls('127.0.0.1', 4000, 3)).toEqual(['udp://127.0.0.1:4000', 'udp://127.0.0.1:4001', 'udp://127.0.0.1:4002']);
    expect(clusterUrls('::1', 4000, 2)).toEqual(['udp://[::1]:4000', 'udp://[::1]:4001']);
    expect(() => clusterUrls('127.0.0.1', 65_535, 2)).toThrow(new RangeError('basePort + workers - 1 must be <= 65535 (one port per worker), got 65536'));
  });

  it('two workers on 127.0.0.1 both serve calls from one multi-endpoint client, and stop cleanly', async () => {
    const basePort = await freePorts(2);
    const cluster: Cluster = await startCluster({ workers: 2, host: '127.0.0.1', basePort, workerModule, execArgv: TSX, startTimeoutMs: 20_000 });
    cleanup.push(() => cluster.close());
    expect(cluster.urls).toEqual(clusterUrls('127.0.0.1', basePort, 2));
    expect(cluster.workers.map((w) => w.port)).toEqual([basePort, basePort + 1]);

    const client: Client = createClient({ urls: cluster.urls });
    cleanup.push(() => client.close());
    const stub = client.stub(work);
    const answers = await Promise.all(Array.from({ length: 40 }, () => stub.pid()));
    const pids = new Set(answers.map((a) => a.pid));
    expect([...pids].sort()).toEqual(cluster.workers.map((w) => w.pid).sort());
    expect(new Set(answers.map((a) => a.index))).toEqual(new Set([0, 1]));

    await client.close();
    await cluster.close();
    expect(await waitGone(cluster.workers.map((w) => w.pid), 5000)).toBe(true);
  });

  it('workers exit on their own when their primary dies', async () => {
    const basePort = await freePorts(2);
    const primary = fork(new URL('./fixtures/primary.ts', import.meta.url), [String(basePort)], { execArgv: TSX, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    cleanup.push(async () => {
      if (primary.exitCode === null && primary.signalCode === null) primary.kill('SIGKILL');
    });
    const pids = await new Promise<number[]>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('primary did not report its workers in 25 s')), 25_000);
      primary.once('message', (m: { pids: number[] }) => {
        clearTimeout(timer);
        resolve(m.pids);
      });
      primary.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`primary exited early (${code})`));
      });
    });
    cleanup.push(async () => {
      for (const pid of pids) if (alive(pid)) process.kill(pid, 'SIGKILL');
    });
    expect(pids).toHaveLength(2);
    expect(pids.every(alive)).toBe(true);
    primary.kill('SIGKILL');
    expect(await waitGone(pids, 10_000)).toBe(true);
  });
});
