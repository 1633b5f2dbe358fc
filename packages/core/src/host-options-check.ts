import { checkCodec } from './codec.js';
import { checkFunction, checkObject, checkOptionalArray, checkOptionalBoolean, checkOptionalClock, checkOptionalFunction, checkTransport } from './options-check.js';

/** The options `createClient` and `createServer` share: where datagrams go, how payloads and time are made. */
export interface HostOptionsShape {
  /** The datagram transport (required). */
  readonly transport?: unknown;
  /** The payload codec. */
  readonly codec?: unknown;
  /** The time source. */
  readonly clock?: unknown;
  /** The uniform [0, 1) random source. */
  readonly random?: unknown;
  /** The interceptors, outermost first. */
  readonly interceptors?: unknown;
}

/**
 * Checks the options a client and a server both take: an options object
 * with a transport, and when given a codec, a clock, a random source,
 * interceptors (functions) and the boolean `flags` named. A TypeError or a
 * RangeError naming the first bad one.
 */
export function checkHostOptions(options: HostOptionsShape, flags: readonly string[]): void {
  checkObject(options, 'options');
  checkTransport(options.transport, 'options.transport');
  if (options.codec !== undefined) checkCodec(options.codec as Parameters<typeof checkCodec>[0]);
  checkOptionalClock(options.clock, 'options.clock');
  checkOptionalFunction(options.random, 'options.random');
  checkOptionalArray(options.interceptors, 'options.interceptors', checkFunction);
  for (const flag of flags) checkOptionalBoolean(options[flag], `options.${flag}`);
}
