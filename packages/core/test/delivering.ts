// Test support: a server engine driven the way a host drives it (CONVENTIONS.md
// 15), for tests that feed the bare engine: after each engine call, the calls
// and aborts it queued are handed to its hooks (`deliver()`), outside the call.
import type { ServerEngine } from '../src/server/server-engine.js';

type EntryPoint = 'receive' | 'onTimer' | 'respond' | 'respondOk' | 'goAway';
const ENTRY_POINTS: readonly EntryPoint[] = ['receive', 'onTimer', 'respond', 'respondOk', 'goAway'];

/** Makes `engine`'s entry points call `deliver()` after they return; returns it. */
export function delivering<E extends ServerEngine>(engine: E): E {
  for (const name of ENTRY_POINTS) {
    const call = engine[name] as (...args: unknown[]) => unknown;
    (engine as unknown as Record<EntryPoint, (...args: unknown[]) => unknown>)[name] = (...args: unknown[]) => {
      const result = call.apply(engine, args);
      engine.deliver();
      return result;
    };
  }
  return engine;
}
