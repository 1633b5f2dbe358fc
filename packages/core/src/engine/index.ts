/**
 * `@udprpc/core/engine` — the sans-io protocol engines and what their hosts
 * build on: {@link ClientEngine} and {@link ServerEngine}, the
 * {@link TimerDriver} that keeps one real timer per engine and the
 * {@link EngineHost} that owns an engine and drives it, the limits and
 * defaults of flow control, admission, sources and reassembly, the retry
 * budget, datagram coalescing, transport and per-method counters, and the
 * numbering of error codes on the wire. Used by `@udprpc/client`,
 * `@udprpc/server` and `@udprpc/testkit`; an application needs none of it.
 *
 * @packageDocumentation
 * @module @udprpc/core/engine
 */
export {
  ClientEngine,
  type ClientEngineOptions,
  type ClientEngineHooks,
  type ClientEngineStats,
  type CallRequest,
  type CallOutcome,
  type GroupCollector,
  type PeerRtt,
} from '../client/client-engine.js';
export {
  ServerEngine,
  type ServerEngineOptions,
  type ServerEngineHooks,
  type ServerEngineStats,
  type IncomingCall,
  type MethodTarget,
  type HandlerOutcome,
} from '../server/server-engine.js';
export { TimerDriver, type TimedEngine } from '../timer/engine-driver.js';
export { EngineHost, type EngineHostOptions } from '../timer/engine-host.js';
export { compose, type Interceptor, type Next } from '../interceptors/compose.js';
export { TimerHeap, type Timed } from '../timer/timer-heap.js';
export { MAX_TIMER_DELAY_MS } from '../timer/clock.js';
export { defaultRetryBudget, defaultCallPolicy, defaultDedupPolicy, defaultSizes } from '../recovery/retry-policy.js';
export { RetryBudget, type RetryBudgetState } from '../flowcontrol/retry-budget.js';
export { defaultAdmissionLimits, type AdmissionLimits } from '../flowcontrol/admission-queue.js';
export { defaultFlowLimits, type FlowLimits } from '../flowcontrol/peer-state.js';
export { type AddressValidator } from '../server/source-table.js';
export { defaultSourceLimits, type SourceLimits } from '../server/source-limits.js';
export { defaultReassemblyLimits, type ReassemblyLimits } from '../recovery/reassembly-limits.js';
export { peerKey, defaultDatagramBytes, pathDatagramLimit, pathMtuOption, datagramLength, joinChunks, sendChunks } from '../transport/transport.js';
export { PathMtuTable, RECONFIRM_MIN_MS, type PathMtuOptions, type PathMtuCounts } from '../pmtu/path-mtu-table.js';
export { DEFAULT_PROBE_SIZES, MAX_PROBES as PMTU_MAX_PROBES, MIN_PROBE_TIMEOUT_MS, RAISE_INTERVAL_MS, PathMtu, type PathMtuConfig, type PathMtuPhase } from '../pmtu/path-mtu.js';
export { BLACK_HOLE_PROBES } from '../pmtu/black-hole.js';
export { Coalescer, sendVia, type FlushableSend } from '../transport/coalescer.js';
export { countedSender, zeroTransportCounters, type TransportCounters } from '../transport/transport-counters.js';
export { MethodRecord, MethodStatsTable, type MethodStats } from '../stats/method-stats.js';
export type { TypedEventEmitter } from '../typed-emitter.js';
export { checkCodec, codecIdName } from '../codec.js';
export {
  checkClock,
  checkFunction,
  checkNumber,
  checkNumberGroup,
  checkObject,
  checkOptionalArray,
  checkOptionalBoolean,
  checkOptionalChoice,
  checkOptionalClock,
  checkOptionalFunction,
  checkOptionalNumber,
  checkOptionalObject,
  checkOptionalString,
  checkPeerAddress,
  checkString,
  checkTransport,
  describeValue,
  type NumberFields,
  type NumberRange,
} from '../options-check.js';
export { retryBudgetFields } from '../client/client-options-check.js';
export { checkHostOptions, type HostOptionsShape } from '../host-options-check.js';
export { checkDatagramBytes, checkPathMtuOptions, MAX_DATAGRAM_BYTES, MIN_DATAGRAM_BYTES, MIN_PROBE_BYTES } from '../transport/datagram-options-check.js';
export { codeFromNumber, codeToNumber } from '../errors.js';
export { asyncDisposeSymbol } from '../async-dispose.js';
export { encodeMetadataForSend } from '../metadata-block.js';
export type { EventMap } from '../typed-emitter.js';
