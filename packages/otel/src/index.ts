/**
 * OpenTelemetry for udprpc: {@link UdprpcInstrumentation} turns the
 * diagnostics channels of `@udprpc/client` and `@udprpc/server` into RPC
 * spans and duration metrics, and carries W3C trace context in call
 * metadata so a server span is the child of its client span.
 *
 * @packageDocumentation
 */
export { UdprpcInstrumentation, type UdprpcInstrumentationConfig } from './instrumentation.js';
export {
  ATTR_ERROR_TYPE,
  ATTR_NETWORK_PEER_ADDRESS,
  ATTR_NETWORK_PEER_PORT,
  ATTR_RPC_METHOD,
  ATTR_RPC_METHOD_ORIGINAL,
  ATTR_RPC_STATUS_CODE,
  ATTR_RPC_SYSTEM_NAME,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  ATTR_UDPRPC_ATTEMPT,
  ATTR_UDPRPC_ATTEMPTS,
  ATTR_UDPRPC_RETRY_AFTER_MS,
  ATTR_UDPRPC_RTO_MS,
  DURATION_BUCKETS_S,
  EVENT_PUSHBACK,
  EVENT_RETRANSMIT,
  METRIC_RPC_CLIENT_CALL_DURATION,
  METRIC_RPC_SERVER_CALL_DURATION,
  RPC_METHOD_OTHER,
  RPC_SYSTEM_UDPRPC,
} from './semconv.js';
