// Command-line options of `npm run bench`.
import { join } from 'node:path';
import { benchDir } from './paths.js';

export interface BenchConfig {
  mode: 'full' | 'quick' | 'smoke';
  /** Measured window per scenario row. */
  durationMs: number;
  /** Interleaved rounds per small-call scenario; rows and ratios are medians over them. */
  rounds: number;
  warmupMs: number;
  /** Cap on measured calls per row (smoke mode); Infinity otherwise. */
  maxCalls: number;
  /** Echo sizes of the large-message scenarios, in bytes. */
  largeSizes: number[];
  /** udprpc maxDatagramBytes values tried for large messages. */
  datagramSizes: number[];
  lossRate: number;
  /** Per-call timeout of the raw baseline (and k-rpc-socket): a call without a reply by then is lost. */
  baselineTimeoutMs: number;
  /**
   * SO_RCVBUF of the blast receiver (4 MiB; the kernel clamps it to rmem_max):
   * a blast has no flow control, so with the 208 KiB default most of it is lost.
   * undefined keeps the OS default.
   */
  blastRecvBufferBytes: number | undefined;
  /** Run only these scenario ids (all when empty). */
  only: string[];
  /** Run only these implementations (all when empty). */
  impls: string[];
  peers: boolean;
  outDir: string;
  /** Write CPU profiles of every child into this directory. */
  cpuProfDir: string | undefined;
  /** Extra node flags for every child, e.g. ['--trace-gc']. */
  nodeArgs: string[];
}

export const USAGE = `usage: npm run bench -- [options]
  --quick                 ~0.5 s per scenario, fewer scenarios (no 16 MiB)
  --smoke                 ~100 calls per scenario, 1 MiB only (for the test suite)
  --duration-ms=N         measured window per row and round (default 2000; quick 500)
  --rounds=N              small-call scenarios run every row N times, interleaved (A B A B…);
                          each row shows its median round, each ratio the median of the
                          per-round ratios (default 3; quick and smoke 1)
  --warmup-ms=N           warm-up before each window (default 1000; quick 200)
  --sizes=1,16            large echo sizes in MiB (default 1,16; quick and smoke 1)
  --dgram=1200,65507      udprpc maxDatagramBytes for large messages
  --loss=0.05             simulated loss per datagram and direction in the loss scenario
  --baseline-timeout-ms=N per-call timeout of the raw baseline (default 200)
  --blast-rcvbuf=N        SO_RCVBUF of the blast receiver in bytes (default 4 MiB, the
                          usual net.core.rmem_max; 0 keeps the OS default)
  --only=id,id            scenario ids: add-1 add-64 add-64-zod echo-1k-64 echo-<N>mib add-64-loss
  --impl=name,name        udprpc raw-dgram raw-blast k-rpc-socket coap
  --no-peers              do not look for k-rpc-socket / coap
  --out=DIR               where the JSON goes (default bench/results)
  --cpu-prof[=DIR]        write a .cpuprofile of every child (default DIR bench/results/profiles);
                          summarise with: npx tsx bench/profile-summary.ts DIR/<scenario>.<impl>.client
  --node-args="--a --b"   extra node flags for the server and client processes (e.g. --trace-gc)
`;

const MiB = 1024 * 1024;
const defaultOut = join(benchDir, 'results');

export function parseArgs(argv: readonly string[]): BenchConfig {
  const flags = new Map<string, string>();
  for (const arg of argv) {
    if (arg === '--help' || arg === '-h') {
      process.stdout.write(USAGE);
      process.exit(0);
    }
    const m = /^--([a-z0-9-]+)(?:=(.*))?$/.exec(arg);
    if (m === null) throw new Error(`unknown argument ${arg}\n${USAGE}`);
    flags.set(m[1]!, m[2] ?? '');
  }
  const mode = flags.has('smoke') ? 'smoke' : flags.has('quick') ? 'quick' : 'full';
  const num = (name: string, fallback: number): number => {
    const v = flags.get(name);
    flags.delete(name);
    if (v === undefined) return fallback;
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0) throw new Error(`--${name} needs a non-negative number, got ${v}`);
    return n;
  };
  const list = (name: string, fallback: string[]): string[] => {
    const v = flags.get(name);
    flags.delete(name);
    return v === undefined ? fallback : v.split(',').filter((s) => s !== '');
  };
  const quickish = mode !== 'full';
  const blastRcvbuf = num('blast-rcvbuf', 4 * 1024 * 1024);
  const config: BenchConfig = {
    mode,
    durationMs: num('duration-ms', mode === 'full' ? 2000 : mode === 'quick' ? 500 : 5000),
    rounds: Math.max(1, Math.round(num('rounds', mode === 'full' ? 3 : 1))),
    warmupMs: num('warmup-ms', mode === 'full' ? 1000 : mode === 'quick' ? 200 : 0),
    maxCalls: mode === 'smoke' ? 100 : Infinity,
    largeSizes: list('sizes', quickish ? ['1'] : ['1', '16']).map((s) => Math.round(Number(s) * MiB)),
    datagramSizes: list('dgram', ['1200', '65507']).map(Number),
    lossRate: num('loss', 0.05),
    baselineTimeoutMs: num('baseline-timeout-ms', 200),
    blastRecvBufferBytes: blastRcvbuf === 0 ? undefined : blastRcvbuf,
    only: list('only', []),
    impls: list('impl', []),
    peers: !flags.has('no-peers'),
    outDir: flags.get('out') || defaultOut,
    nodeArgs: (flags.get('node-args') ?? '').split(/\s+/).filter((a) => a !== ''),
    cpuProfDir: flags.has('cpu-prof') ? flags.get('cpu-prof') || join(defaultOut, 'profiles') : undefined,
  };
  for (const known of ['smoke', 'quick', 'no-peers', 'out', 'cpu-prof', 'node-args']) flags.delete(known);
  if (flags.size > 0) throw new Error(`unknown option --${[...flags.keys()][0]}\n${USAGE}`);
  for (const s of config.largeSizes) if (!(s > 64)) throw new Error(`--sizes: bad size ${s}`);
  for (const d of config.datagramSizes) {
    if (!Number.isInteger(d) || d < 100 || d > 65_507) throw new Error(`--dgram: ${d} is not in 100..65507`);
  }
  return config;
}
