/**
 * @udprpc/client — typed stubs over the udprpc protocol engine.
 *
 * @packageDocumentation
 */
export { Client, createClient, type ClientOptions, type ClientStats } from './client.js';
export type { CallOptions, Stub, StubMethod, StubArgs } from './stub.js';
export {
  composeClientInterceptors,
  type ClientInterceptor,
  type ClientNext,
  type ClientRequest,
} from './interceptor.js';
export type { ClientEvents } from './events.js';
export type { GroupReply, GroupCallOptions, GroupMethod, GroupStub } from './group.js';
