import type { AnyMethodDef } from '@udprpc/core';

/** One method as `udprpc.describe` reports it. */
export interface MethodDescription {
  name: string;
  idempotent: boolean;
}

/** One service as `udprpc.describe` reports it. */
export interface ServiceDescription {
  service: string;
  methods: MethodDescription[];
}

/** Builds the description of one method. */
export function describeMethod(name: string, def: AnyMethodDef): MethodDescription {
  return { name, idempotent: def.idempotent };
}
