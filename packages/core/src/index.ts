/**
 * @udprpc/core — what an application using udprpc, or writing a transport or
 * codec for it, works with: {@link RpcError} and its codes, contracts
 * ({@link defineContract}, {@link method}), the {@link Transport},
 * {@link Codec} and {@link Clock} interfaces, the retry policy and the
 * drop reasons and latency histograms the client and server report. (The
 * shapes of their whole stats come with them: `udprpc` re-exports them.)
 *
 * The protocol itself lives in subpath exports, for the packages built on
 * core and for tools: `@udprpc/core/wire` (frames and their bodies),
 * `@udprpc/core/engine` (the sans-io engines and their hosts' pieces) and
 * `@udprpc/core/contract` (contract internals and validation helpers).
 *
 * @packageDocumentation
 * @module @udprpc/core
 */
export { Code, RpcError, isErrorCode, type ErrorCode, type RpcErrorOptions } from './errors.js';
export { formatPeer, type PeerAddress, type Transport, type DatagramHandler, type DatagramMeta, type UnreachableHandler } from './transport/transport.js';
export { CodecId, FIRST_PRIVATE_CODEC_ID, jsonCodec, type Codec } from './codec.js';
export { systemClock, type Clock, type TimerHandle } from './timer/clock.js';
export { Metadata, type MetadataInit, type MetadataValue } from './wire/metadata.js';
export {
  defineContract,
  method,
  type Contract,
  type MethodDef,
  type MethodOptions,
  type InputOf,
  type OutputOf,
  type HandlerInputOf,
  type HandlerOutputOf,
} from './contract/contract.js';
export type { StandardSchemaV1 } from './contract/standard-schema.js';
export type { HealthStatus } from './contract/health.js';
export type { ValidationIssue, ValidationDetails } from './contract/schema-validation.js';
export { defaultRetryPolicy, type RetryPolicy, type RetryBudgetPolicy, type DedupPolicy } from './recovery/retry-policy.js';
export type { DropReason } from './wire/drop-reason.js';
export type { LatencyHistogram } from './stats/method-stats.js';
