// Frame coalescing must never change what a call returns (issue: "property-
// test that coalescing never changes results"). Two angles:
//  1. the Coalescer itself: whatever frames go in during a turn come out, per
//     peer and in order, in datagrams within the size and frame-count limits;
//  2. end to end: the same schedule of calls over the same simulated network
//     (duplication, reordering, delay; no loss, so both runs can succeed)
//     returns exactly the same results with coalescing on and off, and every
//     at-most-once handler runs once.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type PeerAddress } from '@udprpc/core';
import { decodeFrame, encodeFrame, FrameType, MAX_BATCH_FRAMES, splitBatch } from '@udprpc/core/wire';
import { Coalescer } from '@udprpc/core/engine';
import { createClient, createServer, defineContract, method } from 'udprpc';
import { createRandom, settleAll, SimNetwork, VirtualClock } from '@udprpc/testkit';

const peers: PeerAddress[] = [
  { address: 'p1', family: 'sim', port: 1 },
  { address: 'p2', family: 'sim', port: 2 },
];

/** The frames a datagram carries (one, or a batch's). */
function framesOf(datagram: Uint8Array): Uint8Array[] {
  const f = decodeFrame(datagram);
  if (!f.ok) throw new Error(`undecodable datagram: ${f.error}`);
  if (f.value.type !== FrameType.BATCH) return [datagram];
  const parts = splitBatch(f.value.body);
  if (!parts.ok) throw new Error(`bad batch: ${parts.error}`);
  return parts.value;
}

describe('Coalescer', () => {
  it('delivers every frame once, per peer in order, in datagrams within the limits', () => {
    const frame = fc
      .record({ peer: fc.integer({ min: 0, max: 1 }), id: fc.nat(), size: fc.integer({ min: 0, max: 1300 }) })
      .map(({ peer, id, size }) => ({ peer, bytes: encodeFrame({ type: FrameType.RESPONSE, flags: 0, attempt: 0, session: 1, id }, new Uint8Array(size)) }));
    fc.assert(
      fc.property(fc.array(frame, { maxLength: 700 }), fc.integer({ min: 1200, max: 65_507 }), (frames, maxDatagramBytes) => {
        const sent: Array<{ to: PeerAddress; bytes: Uint8Array }> = [];
        let pendingFlush: (() => void) | undefined;
        const c = new Coalescer((bytes, to) => sent.push({ to, bytes }), maxDatagramBytes, (cb) => (pendingFlush = cb));
        for (const f of frames) c.push(f.bytes, peers[f.peer]!);
        pendingFlush?.();
        for (const p of [0, 1]) {
          const expected = frames.filter((f) => f.peer === p).map((f) => [...f.bytes]);
          const got = sent.filter((s) => s.to === peers[p]).flatMap((s) => framesOf(s.bytes)).map((b) => [...b]);
          expect(got).toEqual(expected);
        }
        for (const s of sent) {
          const inside = framesOf(s.bytes);
          if (inside.length > 1) {
            expect(s.bytes.length).toBeLessThanOrEqual(maxDatagramBytes);
            expect(inside.length).toBeLessThanOrEqual(MAX_BATCH_FRAMES);
          }
        }
      }),
      { numRuns: 300, seed: 20_261_125 },
    );
  });
});

const svc = defineContract('co', {
  add: method<{ a: number; b: number; tag: number }, { tag: number; sum: number }>(),
  echo: method<{ tag: number; text: string }, { tag: number; text: string }>({ idempotent: true }),
});

type Planned = { kind: 'add' | 'echo'; startMs: number; text: string };

async function runOnce(seed: number, plans: Planned[], coalesce: boolean) {
  const clock = new VirtualClock();
  const net = new SimNetwork({ clock, seed, defaults: { duplicate: 0.2, reorder: 0.2, delayMs: { min: 0, max: 5 }, reorderDelayMs: 5 } });
  const serverEnd = net.endpoint('server');
  const runs = new Map<number, number>();
  // The first server ever at its simulated address: no start-up grace (protocol.md §6.3).
  const server = createServer({ startupGraceMs: 0, transport: serverEnd, clock, coalesce }).implement(svc, {
    add: ({ a, b, tag }) => {
      runs.set(tag, (runs.get(tag) ?? 0) + 1);
      return { tag, sum: a + b };
    },
    echo: ({ tag, text }) => ({ tag, text }),
  });
  await server.listen();
  const client = createClient({ transport: net.endpoint('client'), peer: serverEnd.address, clock, coalesce, random: createRandom(seed) });
  const stub = client.stub(svc);
  const calls = plans.map(
    (p, tag) =>
      new Promise<unknown>((resolve, reject) => {
        clock.setTimer(p.startMs, () => {
          const call = p.kind === 'add' ? stub.add({ a: tag, b: 2 * tag, tag }) : stub.echo({ tag, text: p.text });
          call.then(resolve, reject);
        });
      }),
  );
  const settled = await settleAll(clock, calls, { maxTimeMs: 60_000 });
  await client.close();
  await server.close();
  return { settled, runs };
}

describe('coalescing end to end', () => {
  it('returns the same results with coalescing on and off, and runs each at-most-once handler once', async () => {
    const plan: fc.Arbitrary<Planned> = fc.record({
      kind: fc.constantFrom('add' as const, 'echo' as const),
      startMs: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 50 })),
      text: fc.string({ maxLength: 40 }),
    });
    await fc.assert(
      fc.asyncProperty(fc.nat(), fc.array(plan, { minLength: 1, maxLength: 40 }), async (seed, plans) => {
        const on = await runOnce(seed, plans, true);
        const off = await runOnce(seed, plans, false);
        expect(on.settled).toEqual(off.settled);
        expect(on.settled.every((r) => r.status === 'fulfilled')).toBe(true);
        plans.forEach((p, tag) => {
          if (p.kind === 'add') expect(on.runs.get(tag)).toBe(1);
        });
      }),
      { numRuns: 100, seed: 20_261_126 },
    );
  });
});
