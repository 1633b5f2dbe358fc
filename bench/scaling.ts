// Multi-core scaling: throughput of one service on 1 worker process vs 2
// worker processes (startCluster, worker i on basePort + i), driven by one
// multi-endpoint client (urls = every worker's port) keeping 64 calls in
// flight. Real UDP on 127.0.0.1.
//
//   npx tsx --conditions=@udprpc/source bench/scaling.ts [--seconds 2] [--warmup 0.5]
//       [--in-flight 64] [--iterations 20000] [--max-workers 2] [--rounds 3]
//
// Two workloads: `cpu` (each call spins `iterations` steps in the handler, so
// the servers are the bottleneck) and `light` (an empty handler: protocol
// overhead only, where the single client process is usually the bottleneck).
// This file is also the worker module: a process started by startCluster
// serves instead of measuring.
import { availableParallelism, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { childExecArgv } from './lib/paths.js';
import {
  clusterWorkerInfo,
  type Client,
  type Cluster,
  createClient,
  createServer,
  createUdpTransport,
  defineContract,
  method,
  serveClusterWorker,
  startCluster,
} from 'udprpc';

const work = defineContract('scaling', {
  spin: method<{ iterations: number }, number>({ idempotent: true }),
  light: method<void, number>({ idempotent: true }),
});

function spin(iterations: number): number {
  let x = 0;
  for (let i = 0; i < iterations; i++) x = (x * 31 + i) % 1_000_003;
  return x;
}

interface Options {
  seconds: number;
  warmup: number;
  inFlight: number;
  iterations: number;
  maxWorkers: number;
  rounds: number;
}

function parseOptions(argv: readonly string[]): Options {
  const options: Options = { seconds: 2, warmup: 0.5, inFlight: 64, iterations: 20_000, maxWorkers: 2, rounds: 3 };
  const names: Record<string, keyof Options> = {
    '--seconds': 'seconds',
    '--warmup': 'warmup',
    '--in-flight': 'inFlight',
    '--iterations': 'iterations',
    '--max-workers': 'maxWorkers',
    '--rounds': 'rounds',
  };
  for (let i = 0; i < argv.length; i += 2) {
    const key = names[argv[i]!];
    const value = Number(argv[i + 1]);
    if (key === undefined || !(value > 0)) {
      throw new Error(`usage: bench/scaling.ts [--seconds n] [--warmup n] [--in-flight n] [--iterations n] [--max-workers n] [--rounds n] (bad: ${argv[i]} ${argv[i + 1]})`);
    }
    options[key] = value;
  }
  return options;
}

/** A base port with `count` free consecutive UDP ports on 127.0.0.1. */
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

type Workload = 'cpu' | 'light';

interface Setup {
  readonly workers: number;
  readonly cluster: Cluster;
  readonly client: Client;
}

async function setUp(workers: number): Promise<Setup> {
  const cluster = await startCluster({
    workers,
    host: '127.0.0.1',
    basePort: await freePorts(workers),
    workerModule: fileURLToPath(import.meta.url),
    execArgv: [...childExecArgv],
    startTimeoutMs: 30_000,
  });
  const client = createClient({ urls: cluster.urls });
  // Binds the socket and measures RTTs before any timing starts.
  const stub = client.stub(work);
  await Promise.all(Array.from({ length: workers * 8 }, () => stub.light()));
  return { workers, cluster, client };
}

/** Calls completed per second with `inFlight` calls kept in flight, after a warm-up. */
async function measure(setup: Setup, workload: Workload, o: Options): Promise<{ callsPerSecond: number; errors: number }> {
  const stub = setup.client.stub(work);
  const call = workload === 'cpu' ? () => stub.spin({ iterations: o.iterations }) : () => stub.light();
  const measureFrom = performance.now() + o.warmup * 1000;
  const end = measureFrom + o.seconds * 1000;
  let done = 0;
  let errors = 0;
  const lane = async (): Promise<void> => {
    while (performance.now() < end) {
      try {
        await call();
        if (performance.now() >= measureFrom) done++;
      } catch {
        errors++;
      }
    }
  };
  await Promise.all(Array.from({ length: o.inFlight }, lane));
  return { callsPerSecond: done / ((performance.now() - measureFrom) / 1000), errors };
}

const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fmt = (x: number): string => Math.round(x).toLocaleString('en-US');

async function main(): Promise<void> {
  const o = parseOptions(process.argv.slice(2));
  process.stdout.write(
    `udprpc multi-core scaling: ${availableParallelism()} core(s), one multi-endpoint client (urls = every worker port), ` +
      `${o.inFlight} calls in flight; ${o.rounds} interleaved rounds of ${o.warmup}s warm-up + ${o.seconds}s; ` +
      `cpu = ${o.iterations} handler iterations per call, light = empty handler\n\n`,
  );
  const load = loadavg()[0]!;
  if (load > 0.5) {
    process.stdout.write(`note: 1-minute load average is ${load.toFixed(2)} before starting; other processes compete for the cores, so the ratio understates scaling\n\n`);
  }
  // Both clusters stay up; rows alternate, so background load hits both alike.
  const setups = [await setUp(1), await setUp(o.maxWorkers)];
  try {
    for (const workload of ['cpu', 'light'] as const) {
      const samples = setups.map(() => [] as number[]);
      let errors = 0;
      for (let round = 0; round < o.rounds; round++) {
        for (const [i, setup] of setups.entries()) {
          const r = await measure(setup, workload, o);
          samples[i]!.push(r.callsPerSecond);
          errors += r.errors;
        }
      }
      const [one, many] = samples.map(median) as [number, number];
      for (const [i, setup] of setups.entries()) {
        process.stdout.write(
          `${workload.padEnd(6)}${String(setup.workers).padStart(2)} worker(s): ${fmt(median(samples[i]!)).padStart(8)} calls/s (median; rounds: ${samples[i]!.map(fmt).join(', ')})\n`,
        );
      }
      process.stdout.write(`${workload.padEnd(6)}ratio ${o.maxWorkers}/1 workers: ${(many / one).toFixed(2)}×${errors > 0 ? `  (${errors} failed calls)` : ''}\n\n`);
    }
  } finally {
    for (const s of setups) {
      await s.client.close();
      await s.cluster.close();
    }
  }
}

if (clusterWorkerInfo() !== undefined) {
  await serveClusterWorker(({ host, port }) =>
    createServer({ host, port }).implement(work, {
      spin: ({ iterations }) => spin(iterations),
      light: () => 0,
    }),
  );
} else {
  // Bounded: the whole run ends within this budget even if something hangs.
  setTimeout(() => {
    process.stderr.write('bench/scaling: global timeout reached\n');
    process.exit(4);
  }, 300_000).unref();
  main().then(
    () => process.exit(0),
    (e: unknown) => {
      process.stderr.write(`bench/scaling: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exit(2);
    },
  );
}
