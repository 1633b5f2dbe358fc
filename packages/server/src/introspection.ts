import type { AnyMethodDef } from '@udprpc/core';

/** One method as `udprpc.describe` reports it. */
export interface MethodDescription {
  /** Method name. */
  name: string;
  /** Whether it was declared idempotent. */
  idempotent: boolean;
}

/** One service as `udprpc.describe` reports it. */
export interface ServiceDescription {
  /** Service name. */
  service: string;
  /** Its methods. */
  methods: MethodDescription[];
}

/** Builds the description of one method. */
export function describeMethod(name: string, def: AnyMethodDef): MethodDescription {
  return { name, idempotent: def.idempotent };
}
