// Multi-core scaling: throughput of one service on 1 worker process vs 2
// worker processes (startCluster, worker i on basePort + i), driven by one
// multi-endpoint client (urls = every worker's port) keeping 64 calls in
// flight. Real UDP on 127.0.0.1.
//
//   npx tsx --conditions=source bench/scaling.ts [--seconds 3] [--warmup 1]
//       [--in-flight 64] [--iterations 20000] [--max-workers 2]
//
// Two workloads: `cpu` (each call spins `iterations` steps in the handler, so
// the servers are the bottleneck) and `light` (an empty handler: protocol
// overhead only, where the single client process is usually the bottleneck).
// This file is also the worker module: a process started by startCluster
// serves instead of measuring.
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import {
  clusterWorkerInfo,
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
}

function parseOptions(argv: readonly string[]): Options {
  const options: Options = { seconds: 3, warmup: 1, inFlight: 64, iterations: 20_000, maxWorkers: 2 };
  const names: Record<string, keyof Options> = { '--seconds': 'seconds', '--warmup': 'warmup', '--in-flight': 'inFlight', '--iterations': 'iterations', '--max-workers': 'maxWorkers' };
  for (let i = 0; i < argv.length; i += 2) {
    const key = names[argv[i]!];
    const value = Number(argv[i + 1]);
    if (key === undefined || !(value >= 0)) throw new Error(`usage: bench/scaling.ts [--seconds n] [--warmup n] [--in-flight n] [--iterations n] [--max-workers n] (bad: ${argv[i]} ${argv[i + 1]})`);
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

interface Result {
  workers: number;
  workload: 'cpu' | 'light';
  callsPerSecond: number;
  errors: number;
}

async function measure(workers: number, workload: 'cpu' | 'light', o: Options): Promise<Result> {
  const basePort = await freePorts(workers);
  const cluster = await startCluster({
    workers,
    host: '127.0.0.1',
    basePort,
    workerModule: fileURLToPath(import.meta.url),
    execArgv: ['--import', 'tsx', '--conditions=source'],
    startTimeoutMs: 30_000,
  });
  const client = createClient({ urls: cluster.urls, flow: { maxInFlightPerPeer: 4096 } });
  try {
    const stub = client.stub(work);
    const call = workload === 'cpu' ? () => stub.spin({ iterations: o.iterations }) : () => stub.light();
    await Promise.all(Array.from({ length: workers * 4 }, () => call())); // sockets bound, RTTs measured
    const start = performance.now();
    const measureFrom = start + o.warmup * 1000;
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
    const elapsedS = (performance.now() - measureFrom) / 1000;
    return { workers, workload, callsPerSecond: done / elapsedS, errors };
  } finally {
    await client.close();
    await cluster.close();
  }
}

async function main(): Promise<void> {
  const o = parseOptions(process.argv.slice(2));
  const cores = availableParallelism();
  process.stdout.write(
    `udprpc multi-core scaling: ${cores} core(s), one multi-endpoint client, ${o.inFlight} calls in flight, ` +
      `${o.warmup}s warm-up + ${o.seconds}s per row, cpu workload = ${o.iterations} handler iterations per call\n\n`,
  );
  const rows: Result[] = [];
  for (const workload of ['cpu', 'light'] as const) {
    for (const workers of [1, o.maxWorkers]) {
      const r = await measure(workers, workload, o);
      rows.push(r);
      process.stdout.write(`${workload.padEnd(6)} ${String(workers).padStart(2)} worker(s): ${Math.round(r.callsPerSecond).toLocaleString('en-US').padStart(9)} calls/s${r.errors > 0 ? `  (${r.errors} errors)` : ''}\n`);
    }
    const [one, many] = rows.slice(-2) as [Result, Result];
    process.stdout.write(`${workload.padEnd(6)} ratio ${o.maxWorkers}/1 workers: ${(many.callsPerSecond / one.callsPerSecond).toFixed(2)}×\n\n`);
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
