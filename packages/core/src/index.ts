/**
 * @udprpc/core — the protocol engine, free of I/O: frames, message ids,
 * retransmission and deadlines, duplicate suppression, errors, contracts, and
 * the Transport / Codec / Clock interfaces the adapters implement.
 *
 * @packageDocumentation
 * @module @udprpc/core
 */
export { Code, RpcError, codeFromNumber, codeToNumber, isErrorCode, type ErrorCode, type RpcErrorOptions } from './errors.js';
export { ok, err, type Result } from './wire/result.js';
export {
  MAGIC,
  VERSION,
  HEADER_BYTES,
  FRAGMENT_EXT_BYTES,
  MAX_UDP_PAYLOAD,
  MAX_METHOD_BYTES,
  NO_DEADLINE,
  FrameType,
  Flag,
  encodeFrame,
  decodeFrame,
  parseFrame,
  parseRequestBody,
  encodeRequestBody,
  decodeRequestBody,
  encodeRequestFrame,
  encodeErrorBody,
  decodeErrorBody,
  encodeMethodName,
  encodeBatch,
  splitBatch,
  MAX_BATCH_FRAMES,
  type Frame,
  type FrameHeader,
  type FrameError,
  type FragmentInfo,
  type RequestBody,
  type ErrorBody,
} from './wire/frame.js';
export { PathMtuTable, type PathMtuOptions, type PathMtuCounts } from './pmtu/path-mtu-table.js';
export { DEFAULT_PROBE_SIZES, MAX_PROBES as PMTU_MAX_PROBES, MIN_PROBE_TIMEOUT_MS, RAISE_INTERVAL_MS, PathMtu, type PathMtuConfig, type PathMtuPhase } from './pmtu/path-mtu.js';
export { BLACK_HOLE_PROBES } from './pmtu/black-hole.js';
export {
  encodePmtuProbe,
  encodePmtuProbeReply,
  MIN_PMTU_PROBE_BYTES,
  parsePmtuProbe,
  parsePmtuProbeReply,
  PMTU_PROBE_BODY_BYTES,
  type PmtuProbe,
} from './wire/pmtu-probe.js';
export { decodeFragmentAck, encodeFragmentAck, maxAckRanges, type FragmentAck } from './wire/fragment-ack.js';
export { peerKey, formatPeer, defaultDatagramBytes, pathDatagramLimit, pathMtuOption, type PeerAddress, type Transport, type DatagramHandler, type DatagramMeta, type UnreachableHandler } from './transport/transport.js';
export { checkCodec, CodecId, codecIdName, FIRST_PRIVATE_CODEC_ID, jsonCodec, type Codec } from './codec.js';
export { systemClock, MAX_TIMER_DELAY_MS, type Clock, type TimerHandle } from './timer/clock.js';
export { Coalescer, sendVia, type FlushableSend } from './transport/coalescer.js';
export type { TypedEventEmitter, EventMap } from './typed-emitter.js';
export {
  defineContract,
  method,
  wireName,
  RESERVED_METHOD_NAMES,
  type ReservedMethodName,
  type NoReservedNames,
  type Contract,
  type MethodDef,
  type MethodMap,
  type MethodOptions,
  type AnyMethodDef,
  type InputOf,
  type OutputOf,
  type HandlerInputOf,
  type HandlerOutputOf,
  type AnySchema,
  type SchemaMethodOptions,
  type SchemaMethodDef,
} from './contract/contract.js';
export type { StandardSchemaV1, StandardJSONSchemaV1Converter } from './contract/standard-schema.js';
export type { Carriable, CarriedTypes, CarriableArgs, NotCarriable } from './contract/carriable.js';
export {
  validateWith,
  issuesOf,
  invalidArgument,
  isPromiseLike,
  type ValidationIssue,
  type ValidationDetails,
} from './contract/schema-validation.js';
export {
  defaultRetryPolicy,
  defaultRetryBudget,
  defaultCallPolicy,
  defaultDedupPolicy,
  defaultSizes,
  type RetryPolicy,
  type RetryBudgetPolicy,
  type DedupPolicy,
} from './recovery/retry-policy.js';
export { RttEstimator } from './recovery/rtt-estimator.js';
export { RetryBudget, type RetryBudgetState } from './flowcontrol/retry-budget.js';
export { TimerHeap, type Timed } from './timer/timer-heap.js';
export { MessageIds, randomSession } from './wire/message-ids.js';
export { countDrop, type DropReason, type DropCounts } from './wire/drop-reason.js';
export {
  ClientEngine,
  type ClientEngineOptions,
  type ClientEngineHooks,
  type ClientEngineStats,
  type CallRequest,
  type CallOutcome,
  type PeerRtt,
} from './client/client-engine.js';
export {
  ServerEngine,
  type ServerEngineOptions,
  type ServerEngineHooks,
  type ServerEngineStats,
  type IncomingCall,
  type HandlerOutcome,
} from './server/server-engine.js';
export { TimerDriver, type TimedEngine } from './timer/engine-driver.js';
export { defaultAdmissionLimits, type AdmissionLimits } from './flowcontrol/admission-queue.js';
export { defaultSourceLimits, type SourceLimits, type AddressValidator } from './server/source-table.js';
export { defaultFlowLimits, type FlowLimits } from './flowcontrol/peer-state.js';
export { defaultReassemblyLimits, type ReassemblyLimits } from './recovery/reassembly.js';
export {
  MethodRecord,
  MethodStatsTable,
  type LatencyHistogram,
  type MethodStats,
} from './stats/method-stats.js';
export { countedSender, zeroTransportCounters, type TransportCounters } from './transport/transport-counters.js';
export { asyncDisposeSymbol } from './async-dispose.js';
