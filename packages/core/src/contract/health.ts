// The built-in health check `udprpc.health` (protocol.md §5.7.4), after
// grpc.health.v1: its wire name and the shapes of its argument and result,
// shared by the server that answers it and the clients that ask.

/** Wire name of the built-in health check. */
export const HEALTH_METHOD = 'udprpc.health';

/**
 * What `udprpc.health` answers: `SERVING`, `NOT_SERVING` (the service, or
 * the whole server, was set not serving, or the server is draining), or
 * `SERVICE_UNKNOWN` (the server has no service of that name).
 */
export type HealthStatus = 'SERVING' | 'NOT_SERVING' | 'SERVICE_UNKNOWN';

/** The statuses, in wire spelling. */
export const HEALTH_STATUSES: readonly HealthStatus[] = Object.freeze(['SERVING', 'NOT_SERVING', 'SERVICE_UNKNOWN']);

/** The argument of `udprpc.health`: a service name, or none (or `''`) for the whole server. */
export interface HealthCheckRequest {
  /** The service to check; absent or `''`: the server as a whole. */
  service?: string;
}

/** The result of `udprpc.health`. */
export interface HealthCheckResponse {
  /** The status of the service (or server) asked about. */
  status: HealthStatus;
}

/** Whether `value` is one of the {@link HEALTH_STATUSES}. */
export function isHealthStatus(value: unknown): value is HealthStatus {
  return typeof value === 'string' && (HEALTH_STATUSES as readonly string[]).includes(value);
}
