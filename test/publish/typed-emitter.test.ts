// @udprpc/core vendors typed-emitter's interface (so that installing udprpc
// does not pull rxjs, typed-emitter's optional dependency). The vendored copy
// must stay the same type as the original, a root devDependency.
import type * as TE from 'typed-emitter';
import type { TypedEventEmitter } from '@udprpc/core/engine';
import type { Client, ClientEvents } from '@udprpc/client';
import type { Server, ServerEvents } from '@udprpc/server';
import { describe, expectTypeOf, it } from 'vitest';

type Events = {
  ping: (id: number, from: string) => void;
  close: () => void;
};

describe('vendored typed-emitter type', () => {
  it('is the same type as typed-emitter 2.1.0 default export', () => {
    expectTypeOf<TypedEventEmitter<Events>>().toEqualTypeOf<TE.default<Events>>();
    expectTypeOf<TypedEventEmitter<ClientEvents>>().toEqualTypeOf<TE.default<ClientEvents>>();
  });

  it('types the client and server events', () => {
    expectTypeOf<Client['on']>().parameter(0).toEqualTypeOf<keyof ClientEvents>();
    expectTypeOf<Parameters<Client['emit']>>().toExtend<[keyof ClientEvents, ...unknown[]]>();
    expectTypeOf<Server['once']>().parameter(0).toEqualTypeOf<keyof ServerEvents>();
  });
});
