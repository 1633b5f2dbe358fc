import { RpcError } from '@udprpc/core';
import { checkFunction, checkObject, checkOptionalNumber } from '@udprpc/core/engine';
import type { Server } from '@udprpc/server';
import { CLUSTER_ENV, type ClusterMessage } from './cluster-protocol.js';

/** Where a cluster worker serves, from the environment its primary set. */
export interface ClusterWorkerInfo {
  /** Worker number, from 0. */
  readonly index: number;
  /** Address to bind. */
  readonly host: string;
  /** Port to bind. */
  readonly port: number;
}

/** This process's place in a cluster, or undefined when it was not started by `startCluster`. */
export function clusterWorkerInfo(env: NodeJS.ProcessEnv = process.env): ClusterWorkerInfo | undefined {
  const index = Number(env[CLUSTER_ENV.index]);
  const port = Number(env[CLUSTER_ENV.port]);
  const host = env[CLUSTER_ENV.host];
  if (host === undefined || !Number.isInteger(index) || !Number.isInteger(port)) return undefined;
  return { index, host, port };
}

/** Options of {@link serveClusterWorker}. */
export interface ClusterWorkerOptions {
  /** How long a stopping worker waits for `server.close()` before exiting anyway, in ms (2000). */
  closeTimeoutMs?: number;
}

/**
 * The body of a cluster worker module: builds the server with `setup` (bind
 * it to `info.host` and `info.port`), listens if `setup` did not, tells the
 * primary it is ready, and exits cleanly when the primary says stop or goes
 * away (its IPC channel closes, even if it was killed).
 *
 * @example
 * // worker.ts
 * import { createServer, serveClusterWorker } from 'udprpc';
 * await serveClusterWorker(({ host, port }) => createServer({ host, port }).implement(calc, handlers));
 *
 * @throws TypeError when `setup` is not a function or `options` not an
 * object, RangeError for a negative `closeTimeoutMs`, synchronously. The
 * promise rejects with FAILED_PRECONDITION in a process `startCluster` did
 * not start.
 */
export function serveClusterWorker(setup: (info: ClusterWorkerInfo) => Server | Promise<Server>, options: ClusterWorkerOptions = {}): Promise<Server> {
  checkFunction(setup, 'setup');
  checkObject(options as unknown, 'options');
  checkOptionalNumber(options.closeTimeoutMs, 'options.closeTimeoutMs', { min: 0 });
  return serveWorker(setup, options);
}

async function serveWorker(setup: (info: ClusterWorkerInfo) => Server | Promise<Server>, options: ClusterWorkerOptions): Promise<Server> {
  const info = clusterWorkerInfo();
  const send = process.send?.bind(process);
  if (info === undefined || send === undefined) {
    throw new RpcError('FAILED_PRECONDITION', 'serveClusterWorker: this process was not started by startCluster');
  }
  let server: Server | undefined;
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    const exit = setTimeout(() => process.exit(0), options.closeTimeoutMs ?? 2000);
    exit.unref();
    void (server?.close() ?? Promise.resolve()).finally(() => {
      clearTimeout(exit);
      if (process.connected) process.disconnect?.();
      process.exit(0);
    });
  };
  process.on('message', (m: ClusterMessage) => {
    if (m?.type === 'udprpc-cluster-stop') stop();
  });
  process.once('disconnect', stop);
  try {
    server = await setup(info);
    const address = server.localAddress ?? (await server.listen());
    send({ type: 'udprpc-cluster-ready', index: info.index, port: address.port, pid: process.pid } satisfies ClusterMessage);
    return server;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    send({ type: 'udprpc-cluster-error', index: info.index, message } satisfies ClusterMessage, () => stop());
    throw error;
  }
}
