/**
 * udprpc — typed request/response RPC over UDP for Node.js.
 *
 * Define a contract once with {@link defineContract} and {@link method};
 * implement it on a server from {@link createServer}; call it through the
 * typed stub of a client from {@link createClient}. UDP and msgpack are the
 * defaults; every piece (transport, codec, clock, interceptors) can be swapped.
 *
 * @packageDocumentation
 * @module udprpc
 */
export { createServer, createClient, type UdpServerOptions, type UdpClientOptions, type SocketOptions } from './defaults.js';
export { parseEndpoint, type Endpoint } from './url.js';
export {
  EndpointResolver,
  systemLookup,
  DEFAULT_RESOLVE_INTERVAL_MS,
  type EndpointResolverOptions,
  type LookupAll,
  type LookupAddress,
} from './resolver.js';
export { parseSrvUrl, isSrvUrl, type SrvUrl } from './srv-url.js';
export { srvDiscoveryStats, defaultDnsQueryOptions, type DnsOptions } from './srv-discovery.js';
export { parseDnsServer, DNS_MAX_RESPONSE_BYTES, type DnsFailure, type DnsStats, type DnsDropCounts } from './dns-query.js';
export { MAX_SRV_TARGETS } from './srv-lookup.js';
export { defaultSrvTiming, type SrvTiming } from './srv-watcher.js';
export { FamilyTransport, udpSocketFor, type FamilySocketFactory, type IpFamily } from './family-transport.js';
export { startCluster, clusterUrls, type Cluster, type ClusterOptions, type ClusterWorker } from './cluster.js';
export { serveClusterWorker, clusterWorkerInfo, type ClusterWorkerInfo, type ClusterWorkerOptions } from './cluster-worker.js';
export { HEALTH_METHOD, isHealthStatus, type HealthCheckRequest, type HealthCheckResponse } from '@udprpc/core/contract';
export {
  RpcError,
  Code,
  defineContract,
  method,
  jsonCodec,
  CodecId,
  systemClock,
  defaultRetryPolicy,
  formatPeer,
  type HealthStatus,
  Metadata,
  type MetadataInit,
  type MetadataValue,
  type ErrorCode,
  type Contract,
  type MethodDef,
  type MethodOptions,
  type InputOf,
  type OutputOf,
  type HandlerInputOf,
  type HandlerOutputOf,
  type StandardSchemaV1,
  type ValidationIssue,
  type ValidationDetails,
  type PeerAddress,
  type Transport,
  type Codec,
  type Clock,
  type DropReason,
  type RetryPolicy,
  type RetryBudgetPolicy,
  type DedupPolicy,
} from '@udprpc/core';
export type { CarriedTypes } from '@udprpc/core/contract';
export type { MethodStats, TransportCounters } from '@udprpc/core/engine';
export { defaultRetryBudget, defaultDedupPolicy, defaultCallPolicy, defaultSizes } from '@udprpc/core/engine';
export {
  Client,
  type ClientOptions,
  type ClientStats,
  type ClientEvents,
  type ClientInterceptor,
  type ClientRequest,
  type ClientNext,
  type CallOptions,
  type Stub,
  type StubMethod,
  type GroupReply,
  type GroupCallOptions,
  type GroupMethod,
  type GroupStub,
  type BalancerKind,
  type WeightedPeer,
  type HealthPolicy,
  type FailoverPolicy,
  type HedgingOptions,
  type HealthState,
  type EndpointSnapshot,
  type RoutingStats,
  type ClientCallMessage,
  type ClientRetransmitMessage,
  type ClientPushbackMessage,
  type ClientDropMessage,
  type ClientFailoverMessage,
  defaultHealthPolicy,
  defaultFailoverPolicy,
  defaultHedgingPolicy,
  type HealthCheckOptions,
} from '@udprpc/client';
export {
  Server,
  type ServerOptions,
  type ServerStats,
  type ServerEvents,
  type ServerCallMessage,
  type ServerDropMessage,
  type ServerInterceptor,
  type ServerRequest,
  type ServerNext,
  type CallContext,
  type Handler,
  type Handlers,
  type ServiceDescription,
  HandlerFailureWarning,
  type FailedCall,
  type WarningOptions,
  type MethodDescription,
  OutputValidationError,
  type CloseOptions,
} from '@udprpc/server';
export { msgpackCodec } from '@udprpc/codec-msgpack';
export {
  createUdpTransport,
  createGroupTransport,
  isMulticastAddress,
  type UdpTransport,
  type UdpTransportOptions,
} from '@udprpc/transport-udp';
export {
  createPskTransport,
  createKeyRing,
  KeyRing,
  generateKey,
  type PskTransport,
  type PskTransportOptions,
  type PskTransportStats,
  type PskDropReason,
  type KeyMaterial,
  type PskAlgorithm,
} from '@udprpc/auth-psk';
