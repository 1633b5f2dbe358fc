import { RpcError, type HealthStatus, type PeerAddress } from '@udprpc/core';
import { isHealthStatus } from '@udprpc/core/contract';
import type { CallOptions } from './stub.js';

/** Options of {@link Client.health}. */
export interface HealthCheckOptions extends CallOptions {
  /** The service to ask about; absent: the server as a whole. */
  service?: string;
  /**
   * Ask this address instead of the client's server. A multi-endpoint client
   * then asks exactly that endpoint, bypassing balancing, failover and
   * hedging: a probe of one endpoint's health.
   */
  peer?: PeerAddress;
}

/** The status in a `udprpc.health` result, or INTERNAL when the server answered something else. */
export function healthStatusOf(reply: unknown): HealthStatus {
  const status = typeof reply === 'object' && reply !== null ? (reply as { status?: unknown }).status : undefined;
  if (isHealthStatus(status)) return status;
  throw new RpcError('INTERNAL', 'udprpc.health answered something that is not { status: SERVING | NOT_SERVING | SERVICE_UNKNOWN }');
}
