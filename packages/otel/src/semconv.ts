// The OpenTelemetry semantic convention names this instrumentation emits:
// the RPC conventions of semantic-conventions v1.45.0 (docs/rpc/rpc-spans.md,
// docs/rpc/rpc-metrics.md; Release Candidate), listed in
// docs/observability.md. Copied here rather than imported from
// @opentelemetry/semantic-conventions/incubating, as that package advises
// for conventions that are not yet stable; test/semconv.test.ts checks each
// against that package.

/** `rpc.system.name`: the RPC system, always {@link RPC_SYSTEM_UDPRPC}. */
export const ATTR_RPC_SYSTEM_NAME = 'rpc.system.name';
/** `rpc.method`: the fully-qualified method name, `service.method` (`_OTHER` for a method the server does not serve). */
export const ATTR_RPC_METHOD = 'rpc.method';
/** `rpc.method_original`: the name the client asked for, when `rpc.method` is `_OTHER`. */
export const ATTR_RPC_METHOD_ORIGINAL = 'rpc.method_original';
/** `rpc.status_code`: `OK` or the udprpc error code (`DEADLINE_EXCEEDED`, ...). */
export const ATTR_RPC_STATUS_CODE = 'rpc.status_code';
/** `error.type`: the error code, on failures only. */
export const ATTR_ERROR_TYPE = 'error.type';
/** `server.address`: the server's address (client spans and metrics). */
export const ATTR_SERVER_ADDRESS = 'server.address';
/** `server.port`: the server's port (client spans and metrics). */
export const ATTR_SERVER_PORT = 'server.port';
/** `network.peer.address`: the caller's address (server spans). */
export const ATTR_NETWORK_PEER_ADDRESS = 'network.peer.address';
/** `network.peer.port`: the caller's port (server spans). */
export const ATTR_NETWORK_PEER_PORT = 'network.peer.port';

/** `udprpc.attempts`: transmissions of the request, over all rounds, endpoints and interceptor retries (client spans). */
export const ATTR_UDPRPC_ATTEMPTS = 'udprpc.attempts';
/** `udprpc.attempt`: on a span event, transmissions before it. */
export const ATTR_UDPRPC_ATTEMPT = 'udprpc.attempt';
/** `udprpc.rto_ms`: on a retransmission event, the timeout that expired, ms. */
export const ATTR_UDPRPC_RTO_MS = 'udprpc.rto_ms';
/** `udprpc.retry_after_ms`: on a pushback event, the pause the server asked for, ms. */
export const ATTR_UDPRPC_RETRY_AFTER_MS = 'udprpc.retry_after_ms';

/** The value of `rpc.system.name`. */
export const RPC_SYSTEM_UDPRPC = 'udprpc';
/** `rpc.method` for a method the server does not serve (its name could be anything a peer sends). */
export const RPC_METHOD_OTHER = '_OTHER';

/** Span event: the request was sent again after its retransmission timeout. */
export const EVENT_RETRANSMIT = 'udprpc.retransmit';
/** Span event: the server refused the call for now and asked for a pause. */
export const EVENT_PUSHBACK = 'udprpc.pushback';

/** Histogram `rpc.client.call.duration`, seconds. */
export const METRIC_RPC_CLIENT_CALL_DURATION = 'rpc.client.call.duration';
/** Histogram `rpc.server.call.duration`, seconds. */
export const METRIC_RPC_SERVER_CALL_DURATION = 'rpc.server.call.duration';

/** The bucket boundaries both duration metrics SHOULD use (rpc-metrics.md), seconds. */
export const DURATION_BUCKETS_S: readonly number[] = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];
