/**
 * @udprpc/client — typed stubs over the udprpc protocol engine, for one
 * server or for several (load balancing, health, failover and hedging of
 * idempotent calls: docs/multi-endpoint.md).
 *
 * @packageDocumentation
 * @module @udprpc/client
 */
export { Client, createClient, type ClientStats } from './client.js';
export type { ClientOptions } from './client-options.js';
export type { CallOptions, Stub, StubMethod, StubArgs } from './stub.js';
export {
  composeClientInterceptors,
  type ClientInterceptor,
  type ClientNext,
  type ClientRequest,
} from './interceptor.js';
export type { ClientEvents } from './events.js';
export type { ClientCallMessage, ClientRetransmitMessage, ClientPushbackMessage, ClientDropMessage, ClientFailoverMessage } from './diagnostics.js';
export type { GroupReply, GroupCallOptions, GroupMethod, GroupStub } from './group.js';
export {
  defaultHealthPolicy,
  defaultFailoverPolicy,
  defaultHedgingPolicy,
  LATENCY_SAMPLE_SIZE,
  MIN_LATENCY_SAMPLES,
  type BalancerKind,
  type HealthPolicy,
  type FailoverPolicy,
  type HedgingOptions,
  type HedgingPolicy,
  type RoutingOptions,
} from './routing-policy.js';
export {
  pickTwoChoices,
  RoundRobinBalancer,
  TwoChoicesBalancer,
  SmoothWeightedBalancer,
  PriorityBalancer,
  bestPriority,
  checkWeighting,
  createBalancer,
  type Balancer,
  type BalancerCandidate,
  type WeightedPeer,
} from './balancer.js';
export { EndpointHealth, type EjectionReason, type HealthState } from './endpoint-health.js';
export { LatencyWindow } from './latency-window.js';
export { MAX_DRAIN_HOLD_MS, REFUSAL_DRAIN_HOLD_MS, type EndpointSnapshot } from './endpoint-set.js';
export { healthStatusOf, type HealthCheckOptions } from './health-check.js';
export type { RoutingStats } from './router.js';
