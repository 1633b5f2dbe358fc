import { defineContract, method } from 'udprpc';
import { z } from 'zod';

/** The benchmark service: a tiny call and an echo of any size. Default (at-most-once) semantics. */
export const benchContract = defineContract('bench', {
  add: method<{ a: number; b: number }, number>(),
  echo: method<Uint8Array, Uint8Array>(),
});

/**
 * The same service with `add` declared by zod schemas: the client validates
 * the argument before sending, the server the argument and the result.
 */
export const benchZodContract = defineContract('bench', {
  add: method({ input: z.object({ a: z.number(), b: z.number() }), output: z.number() }),
  echo: method<Uint8Array, Uint8Array>(),
});

/** What every client-side implementation offers the load generator. */
export interface Driver {
  add(a: number, b: number): Promise<number>;
  echo(bytes: Uint8Array): Promise<Uint8Array>;
  /** Implementation counters worth keeping in the JSON (retransmits, timeouts…). */
  stats?(): Record<string, unknown>;
  close(): Promise<void>;
}

/** A server-side implementation started in the server process. */
export interface ServerHandle {
  port: number;
  stats?(): Record<string, unknown>;
  close(): Promise<void>;
}

/** Drops a fraction of datagrams, uniformly at random. */
export function dropper(lossRate: number): () => boolean {
  if (!(lossRate > 0)) return () => false;
  return () => Math.random() < lossRate;
}
