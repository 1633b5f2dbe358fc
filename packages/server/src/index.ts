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
export type { ServerEvents } from './events.js';
export type { ServiceDescription, MethodDescription } from './introspection.js';
