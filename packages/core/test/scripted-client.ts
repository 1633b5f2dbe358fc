// Test support: a bare ClientEngine with jitter factor exactly 1 whose sent
// frames (batches split) and drop, retry and timeout events are recorded,
// for tests that script a server by hand.
import { ClientEngine, type ClientEngineOptions } from '../src/client/client-engine.js';
import type { Frame } from '../src/wire/frame.js';
import type { PeerAddress } from '../src/transport/transport.js';
import { framesOf } from './engine-pair.js';

export function scriptedClient(options: Partial<ClientEngineOptions> = {}) {
  const sent: Array<{ frame: Frame; to: PeerAddress }> = [];
  const events: string[] = [];
  const engine = new ClientEngine({
    send: (bytes, to) => sent.push(...framesOf(bytes).map((frame) => ({ frame, to }))),
    random: () => 0.5,
    hooks: {
      onDrop: (reason) => events.push(`drop ${reason}`),
      onRetry: (i) => events.push(`retry ${i.id} attempt ${i.attempt} rto ${i.rtoMs}`),
      onTimeout: (i) => events.push(`timeout ${i.id} after ${i.attempts}`),
    },
    ...options,
  });
  return { engine, sent, events };
}
