// Test support: a bare ServerEngine (wrapped by delivering.ts, so handlers
// run as the host runs them) whose sent frames, started calls, aborts and
// drops are recorded, for tests that script a client by hand.
import { parseFrame, type Frame } from '../src/wire/frame.js';
import { ServerEngine, type IncomingCall, type ServerEngineOptions } from '../src/server/server-engine.js';
import { delivering } from './delivering.js';

/**
 * A scripted server: `idempotent` given, every method resolves to a target
 * with that flag; not given, the engine has no `resolve` hook at all.
 */
export function scriptedServer(options: Partial<Omit<ServerEngineOptions, 'send' | 'hooks'>> = {}, idempotent?: boolean) {
  const out: Frame[] = [];
  const calls: IncomingCall[] = [];
  const aborts: string[] = [];
  const drops: string[] = [];
  const engine = delivering(
    new ServerEngine({
      send: (bytes) => {
        const f = parseFrame(bytes);
        if (typeof f !== 'string') out.push(f);
      },
      hooks: {
        onCall: (c) => calls.push(c),
        onAbort: (c, why) => aborts.push(`${c.id} ${why}`),
        onDrop: (r) => drops.push(r),
        ...(idempotent === undefined ? {} : { resolve: () => ({ idempotent }) }),
      },
      startedAt: 0,
      startupGraceMs: 0,
      random: () => 0.5,
      ...options,
    }),
  );
  return { engine, out, calls, aborts, drops };
}
