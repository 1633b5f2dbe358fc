/**
 * @udprpc/server — serve udprpc contracts.
 *
 * @packageDocumentation
 * @module @udprpc/server
 */
export { Server, createServer, type ServerOptions, type ServerStats, type ImplementOptions } from './server.js';
export type { CallContext, Handler, Handlers } from './context.js';
export {
  composeServerInterceptors,
  type ServerInterceptor,
  type ServerNext,
  type ServerRequest,
} from './interceptor.js';
export type { ServerEvents, FailedCall } from './events.js';
export type { ServerCallMessage, ServerDropMessage } from './diagnostics.js';
export { HandlerFailureWarning, defaultWarningLimits, type WarningOptions } from './warnings.js';
export { JSON_SCHEMA_TARGET, type ServiceDescription, type MethodDescription } from './introspection.js';
export { OutputValidationError } from './validated-handler.js';
export { DEFAULT_LINGER_MS, type CloseOptions } from './close-options.js';
