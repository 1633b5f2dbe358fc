/** Environment variables through which a cluster tells each worker where to serve. */
export const CLUSTER_ENV = Object.freeze({
  index: 'UDPRPC_CLUSTER_INDEX',
  host: 'UDPRPC_CLUSTER_HOST',
  port: 'UDPRPC_CLUSTER_PORT',
});

/** IPC messages between a cluster's primary and its workers. */
export type ClusterMessage =
  | { readonly type: 'udprpc-cluster-ready'; readonly index: number; readonly port: number; readonly pid: number }
  | { readonly type: 'udprpc-cluster-error'; readonly index: number; readonly message: string }
  | { readonly type: 'udprpc-cluster-stop' };
