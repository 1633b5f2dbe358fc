// What this codec carries beyond what every codec does (core's Carriable):
// a Set round-trips through msgpackr's extension type. A Map does not (it
// decodes as a plain object), so it stays out. Declaration merging makes
// `method<Set<string>, …>()` compile in every program that includes this
// package, e.g. through `udprpc`.
import type {} from '@udprpc/core';

declare module '@udprpc/core' {
  interface CarriedTypes {
    /** msgpack: a `Set` decodes as a `Set` (msgpack-codec.ts, "What round-trips"). */
    set: true;
  }
}
