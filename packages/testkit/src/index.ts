/**
 * @udprpc/testkit — deterministic testing for udprpc: a virtual clock, a
 * seeded simulated datagram network (loss, duplication, delay, reordering,
 * corruption, MTU, partitions), in-memory transports, fast-check arbitraries,
 * and a transport conformance suite. Depends only on `@udprpc/core` and
 * `fast-check`, and on no Node-specific API.
 *
 * @packageDocumentation
 * @module @udprpc/testkit
 */
export { createRandom, deriveSeed } from './random.js';
export {
  VirtualClock,
  flushMicrotasks,
  DEFAULT_MAX_STEPS,
  DEFAULT_MAX_TIME_MS,
  DEFAULT_MICROTASK_TURNS,
  type VirtualClockOptions,
  type AdvanceOptions,
  type RunOptions,
} from './virtual-clock.js';
export { settleAll } from './settle.js';
export { sleep } from './sleep.js';
export { scheduleCalls, type ScheduledCall } from './schedule-calls.js';
export type { LinkConditions, DelayDistribution } from './link-conditions.js';
export type { SimTransport } from './sim-transport.js';
export {
  SimNetwork,
  type SimNetworkOptions,
  type SimNetworkStats,
  type SimNetworkEvent,
  type SimDropReason,
  type SimHostRef,
  type Partition,
} from './sim-network.js';
export { createTransportPair, type TransportPairOptions } from './transport-pair.js';
export {
  MemoryNetwork,
  createMemoryNetwork,
  createLoopbackPair,
  type MemoryNetworkOptions,
  type MemoryNetworkStats,
} from './memory-network.js';
export {
  netConditions,
  asymmetricConditions,
  callSchedule,
  seeds,
  type NetConditionsOptions,
  type AsymmetricConditions,
  type CallScheduleOptions,
} from './arbitraries.js';
export {
  transportConformanceCases,
  runConformanceCase,
  type ConformancePair,
  type TransportConformanceCase,
} from './conformance.js';
