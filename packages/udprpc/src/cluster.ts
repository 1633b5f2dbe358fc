import { fork, type ChildProcess } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { RpcError } from '@udprpc/core';
import { CLUSTER_ENV, type ClusterMessage } from './cluster-protocol.js';
import { checkClusterOptions, checkClusterPorts } from './options-check.js';

/** Options of {@link startCluster}. */
export interface ClusterOptions {
  /** Worker processes (default `os.availableParallelism()`). Worker i serves on `basePort + i`. */
  workers?: number;
  /** Address every worker binds (default `'127.0.0.1'`). */
  host?: string;
  /** Port of worker 0; worker i binds `basePort + i`. */
  basePort: number;
  /** The module each worker runs: it calls `serveClusterWorker` (path or `file:` URL). */
  workerModule: string | URL;
  /** Node flags of the workers (default: this process's `execArgv`, e.g. a TypeScript loader). */
  execArgv?: readonly string[];
  /** Extra environment of the workers. */
  env?: Readonly<Record<string, string>>;
  /** How long a worker may take to report ready, in ms (10 000). */
  startTimeoutMs?: number;
  /** How long `close` waits for a worker to exit before killing it, in ms (5000). */
  stopTimeoutMs?: number;
  /** A worker exited while the cluster was running (not during `close`). Its port stays dead. */
  onWorkerExit?: (info: { index: number; pid: number | undefined; code: number | null; signal: NodeJS.Signals | null }) => void;
}

/** One running worker. */
export interface ClusterWorker {
  /** Worker number, from 0. */
  readonly index: number;
  /** The port it serves on. */
  readonly port: number;
  /** Its process id. */
  readonly pid: number;
}

/** A running cluster: one service on several processes, one port each. */
export interface Cluster {
  /** `udp://host:port` of every worker, for a client's `urls`. */
  readonly urls: readonly string[];
  /** The running workers. */
  readonly workers: readonly ClusterWorker[];
  /** Stops every worker (a stop message, then SIGKILL after `stopTimeoutMs`). Idempotent. */
  close(): Promise<void>;
}

/**
 * The `udp://` URLs of a cluster's workers: `basePort`, `basePort + 1`, …
 * (IPv6 literals in brackets). Give them to a client's `urls`.
 *
 * @throws TypeError for a `host` that is not a string or a non-numeric
 * port or count, RangeError for ports that do not all exist (`basePort` 0,
 * `workers` 0, `basePort + workers - 1` above 65535, fractions).
 */
export function clusterUrls(host: string, basePort: number, workers: number): string[] {
  checkClusterPorts(host, basePort, workers);
  const shown = host.includes(':') ? `[${host}]` : host;
  return Array.from({ length: workers }, (_, i) => `udp://${shown}:${basePort + i}`);
}

/**
 * Runs one service on several cores: worker i is a child process serving on
 * `basePort + i` (docs/multi-endpoint.md "Multi-core servers"). Node 20's
 * dgram has no SO_REUSEPORT, so the workers cannot share one port; instead
 * the client lists every worker's port as an endpoint. Each call, with all
 * its retransmissions, goes to one endpoint, so its duplicate-suppression
 * state always lives in the one worker that received it.
 *
 * Resolves once every worker is listening. Workers exit on their own when
 * this process exits or dies (their IPC channel closes).
 *
 * @throws TypeError for an option of the wrong type or shape (no
 * `workerModule`, a non-function `onWorkerExit`, …), RangeError for one out
 * of range (`basePort` 0, `workers` 0, ports past 65535, …), synchronously:
 * the promise rejects only for what happens when the workers start.
 */
export function startCluster(options: ClusterOptions): Promise<Cluster> {
  checkClusterOptions(options as unknown as Record<string, unknown>);
  const count = options.workers ?? availableParallelism();
  const host = options.host ?? '127.0.0.1';
  checkClusterPorts(host, options.basePort, count, 'options.');
  return runCluster(options, count, host, clusterUrls(host, options.basePort, count));
}

async function runCluster(options: ClusterOptions, count: number, host: string, urls: string[]): Promise<Cluster> {
  const modulePath = options.workerModule instanceof URL || options.workerModule.startsWith('file:') ? fileURLToPath(options.workerModule) : options.workerModule;
  const children: ChildProcess[] = [];
  let closing = false;
  const stopTimeoutMs = options.stopTimeoutMs ?? 5000;

  const close = async (): Promise<void> => {
    closing = true;
    await Promise.all(children.map((child) => stopChild(child, stopTimeoutMs)));
  };

  try {
    const workers = await Promise.all(
      Array.from({ length: count }, (_, index) => {
        const child = fork(modulePath, [], {
          execArgv: [...(options.execArgv ?? process.execArgv)],
          env: {
            ...process.env,
            ...options.env,
            [CLUSTER_ENV.index]: String(index),
            [CLUSTER_ENV.host]: host,
            [CLUSTER_ENV.port]: String(options.basePort + index),
          },
          stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
        });
        children.push(child);
        child.once('exit', (code, signal) => {
          if (!closing) options.onWorkerExit?.({ index, pid: child.pid, code, signal });
        });
        return waitReady(child, index, options.startTimeoutMs ?? 10_000);
      }),
    );
    return { urls, workers, close };
  } catch (error) {
    await close();
    throw error;
  }
}

function waitReady(child: ChildProcess, index: number, timeoutMs: number): Promise<ClusterWorker> {
  return new Promise<ClusterWorker>((resolve, reject) => {
    const done = (): void => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
      child.off('error', onExit);
    };
    const onMessage = (m: ClusterMessage): void => {
      if (m?.type === 'udprpc-cluster-error') {
        done();
        reject(new RpcError('UNAVAILABLE', `cluster worker ${index}: ${m.message}`));
      } else if (m?.type === 'udprpc-cluster-ready') {
        done();
        resolve({ index, port: m.port, pid: m.pid });
      }
    };
    const onExit = (): void => {
      done();
      reject(new RpcError('UNAVAILABLE', `cluster worker ${index} exited before it was ready`));
    };
    const timer = setTimeout(() => {
      done();
      reject(new RpcError('DEADLINE_EXCEEDED', `cluster worker ${index} was not ready within ${timeoutMs} ms`));
    }, timeoutMs);
    child.on('message', onMessage);
    child.once('exit', onExit);
    child.once('error', onExit);
  });
}

// Asks the worker to stop, then kills it if it has not exited in time.
function stopChild(child: ChildProcess, timeoutMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise<void>((resolve) => {
    let last: NodeJS.Timeout | undefined;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      last = setTimeout(resolve, 1000); // bounded even if no 'exit' ever comes (spawn failed)
    }, timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      clearTimeout(last);
      resolve();
    });
    if (child.connected) child.send({ type: 'udprpc-cluster-stop' } satisfies ClusterMessage, () => {});
    else child.kill('SIGTERM');
  });
}
