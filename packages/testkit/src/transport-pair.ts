import type { LinkConditions } from './link-conditions.js';
import { SimNetwork } from './sim-network.js';
import type { SimTransport } from './sim-transport.js';
import { VirtualClock } from './virtual-clock.js';

/** Options of {@link createTransportPair}. */
export interface TransportPairOptions {
  /** Clock to run on. Default: a new {@link VirtualClock}. */
  clock?: VirtualClock;
  /** Network seed. Default 1 (only matters once conditions involve chance). */
  seed?: number;
  /** Conditions of both directions. Default: no loss, 1 ms delay. */
  conditions?: LinkConditions;
}

/**
 * Two endpoints `a` and `b` on a fresh {@link SimNetwork} driven by a virtual
 * clock: lossless with a 1 ms one-way delay unless `conditions` say otherwise.
 * Drive it with `clock.runUntil(...)` or {@link settleAll}.
 */
export function createTransportPair(options: TransportPairOptions = {}): {
  /** The clock both ends run on. */
  clock: VirtualClock;
  /** The simulated network. */
  network: SimNetwork;
  /** One end. */
  a: SimTransport;
  /** The other end. */
  b: SimTransport;
} {
  const clock = options.clock ?? new VirtualClock();
  const network = new SimNetwork({ clock, seed: options.seed ?? 1, defaults: options.conditions ?? { delayMs: 1 } });
  return { clock, network, a: network.endpoint(), b: network.endpoint() };
}
