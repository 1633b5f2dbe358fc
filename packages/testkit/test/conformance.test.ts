import { describe, expect, it } from 'vitest';
import {
  createLoopbackPair,
  createTransportPair,
  flushMicrotasks,
  runConformanceCase,
  transportConformanceCases,
  type ConformancePair,
  type LinkConditions,
} from '@udprpc/testkit';

function simPair(conditions?: LinkConditions): () => Promise<ConformancePair> {
  return async () => {
    const { clock, a, b } = createTransportPair(conditions === undefined ? {} : { conditions, seed: 99 });
    return {
      a,
      b,
      async waitFor(condition, what) {
        try {
          await clock.runUntil(condition, { maxTimeMs: 10_000 });
        } catch (error) {
          throw new Error(`waiting for ${what}: ${(error as Error).message}`);
        }
      },
      async quiesce() {
        await clock.runAll({ maxTimeMs: 10_000 });
      },
    };
  };
}

async function memoryPair(): Promise<ConformancePair> {
  const { a, b } = createLoopbackPair({ maxDatagramBytes: 1200 });
  return {
    a,
    b,
    async waitFor(condition, what) {
      for (let i = 0; i < 100 && !condition(); i++) await flushMicrotasks(10);
      if (!condition()) throw new Error(`waiting for ${what}: still false after 1000 microtask turns`);
    },
    quiesce: () => flushMicrotasks(100),
  };
}

const targets: [string, () => Promise<ConformancePair>][] = [
  ['SimNetwork pair (virtual clock, 1 ms)', simPair()],
  ['SimNetwork pair with delay spread and reordering', simPair({ delayMs: { min: 1, max: 30 }, reorder: 0.3 })],
  ['memory loopback pair (queueMicrotask)', memoryPair],
];

for (const [name, makePair] of targets) {
  describe(`transport conformance: ${name}`, () => {
    for (const testCase of transportConformanceCases) {
      it(testCase.name, () => runConformanceCase(testCase, makePair));
    }
  });
}

describe('transport conformance: the suite itself', () => {
  it('catches a transport that does not copy the buffer at send time', async () => {
    const makeBroken = async (): Promise<ConformancePair> => {
      const pair = await simPair()();
      const realSend = pair.a.send.bind(pair.a);
      const pending: [Uint8Array, Parameters<typeof realSend>[1]][] = [];
      // Holds on to the caller's buffer and copies only when "the network" gets to it.
      const a = Object.assign(Object.create(pair.a) as typeof pair.a, {
        send: (bytes: Uint8Array, to: Parameters<typeof realSend>[1]) => {
          pending.push([bytes, to]);
          queueMicrotask(() => {
            const [b, t] = pending.shift()!;
            realSend(b, t);
          });
        },
      });
      return { ...pair, a };
    };
    const copyCase = transportConformanceCases.find((c) => c.name.startsWith('copies the buffer'))!;
    await expect(runConformanceCase(copyCase, makeBroken)).rejects.toThrow(/byte 0 is 238/);
  });

  it('catches a sendv that does not send its chunks whole and in order', async () => {
    const makeBroken = async (): Promise<ConformancePair> => {
      const pair = await simPair()();
      const realSend = pair.a.send.bind(pair.a);
      // Sends the chunks in reverse order.
      const a = Object.assign(Object.create(pair.a) as typeof pair.a, {
        sendv: (chunks: readonly Uint8Array[], to: Parameters<typeof realSend>[1]) => realSend(Uint8Array.from([...chunks].reverse().flatMap((c) => [...c])), to),
      });
      return { ...pair, a };
    };
    const sendvCase = transportConformanceCases.find((c) => c.name.startsWith('sendv'))!;
    await expect(runConformanceCase(sendvCase, makeBroken)).rejects.toThrow(/datagram from chunks: byte 0/);
  });
});
