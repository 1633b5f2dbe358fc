/**
 * `@udprpc/core/contract` — the whole contract layer, for the packages that
 * dispatch and check calls (client, server): besides what the main entry
 * exports for applications, the method-map and schema types a contract is
 * built from, the wire name of a method, the reserved names, and the
 * Standard Schema validation helpers both sides run.
 *
 * @packageDocumentation
 * @module @udprpc/core/contract
 */
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
} from './contract.js';
export type { StandardSchemaV1, StandardJSONSchemaV1Converter } from './standard-schema.js';
export type { Carriable, CarriedTypes, CarriableArgs, NotCarriable } from './carriable.js';
export {
  issuesOf,
  invalidArgument,
  isPromiseLike,
  type ValidationIssue,
  type ValidationDetails,
} from './schema-validation.js';
export {
  HEALTH_METHOD,
  HEALTH_STATUSES,
  isHealthStatus,
  type HealthStatus,
  type HealthCheckRequest,
  type HealthCheckResponse,
} from './health.js';
