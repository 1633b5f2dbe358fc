import { RpcError, type HealthStatus } from '@udprpc/core';
import type { HealthCheckResponse } from '@udprpc/core/contract';

/**
 * The serving status behind the built-in `udprpc.health` (protocol.md
 * §5.7.4), like grpc.health.v1: one status for the server as a whole (the
 * empty service name) and one per service. Implemented services start
 * SERVING; a name set with {@link set} is known from then on. A drain
 * makes everything NOT_SERVING.
 */
export class HealthRegistry {
  private readonly statuses = new Map<string, boolean>([['', true]]);
  /** Set when the server starts draining: every check answers NOT_SERVING. */
  draining = false;

  /** Sets the status of `service` (`''`: the whole server). */
  set(service: string, serving: boolean): void {
    if (typeof service !== 'string') throw new TypeError('setServing: service must be a string');
    if (typeof serving !== 'boolean') throw new TypeError('setServing: serving must be a boolean');
    this.statuses.set(service, serving);
  }

  /** Makes an implemented service known, SERVING unless it was set before. */
  add(service: string): void {
    if (!this.statuses.has(service)) this.statuses.set(service, true);
  }

  /** The status of `service` (`''`: the whole server). */
  status(service: string): HealthStatus {
    const serving = this.statuses.get(service);
    if (serving === undefined) return 'SERVICE_UNKNOWN';
    return serving && !this.draining ? 'SERVING' : 'NOT_SERVING';
  }

  /** The `udprpc.health` handler: checks its argument (absent, or `{ service?: string }`). */
  readonly check = (input: unknown): HealthCheckResponse => {
    if (input === undefined || input === null) return { status: this.status('') };
    if (typeof input !== 'object' || Array.isArray(input)) {
      throw new RpcError('INVALID_ARGUMENT', 'udprpc.health takes { service?: string }');
    }
    const service = (input as { service?: unknown }).service;
    if (service !== undefined && typeof service !== 'string') {
      throw new RpcError('INVALID_ARGUMENT', 'udprpc.health: service must be a string');
    }
    return { status: this.status(service ?? '') };
  };
}
