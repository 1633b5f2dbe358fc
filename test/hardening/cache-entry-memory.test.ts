// What the reply cache charges against dedup.maxBytes is what its entries
// actually retain (CONVENTIONS §17; found while fixing issue 11.3): heap +
// ArrayBuffer bytes after a full GC, for 5,000 entries of each kind, stay
// within 10% above the bytes charged. Before the fix an entry was charged
// 160 bytes and retained about 560 (about 700 once its session had left the
// session table). The per-entry figures: test/hardening/measure-memory.ts entry:*.
import { runInNewContext } from 'node:vm';
import { setFlagsFromString } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { CodecId, type PeerAddress } from '@udprpc/core';
import { encodeMethodName, encodeRequestFrame, FrameType } from '@udprpc/core/wire';
import { ServerEngine } from '@udprpc/core/engine';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function retained(): number {
  gc();
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

const ENTRIES = 5000;
const NO_SPAN = 0xffff_ffff; // no low-water mark: nothing is released early
const method = encodeMethodName('calc.add');
const payload = new Uint8Array([0x93, 1, 2, 3]);
const peers = Array.from({ length: 100 }, (_, n): PeerAddress => ({ address: `10.0.0.${n}`, family: 'IPv4', port: 4000 }));

/**
 * Feeds `ENTRIES` calls (no time passes, so none expires) from `perSource`
 * calls per peer, and returns the bytes retained and charged for them. The
 * session and source state are charged separately (stateBytes) and included
 * on both sides.
 */
function measure(engine: ServerEngine, flags: number, perSource = ENTRIES): { retained: number; charged: number; entries: number } {
  const before = retained();
  for (let i = 0; i < ENTRIES; i++) {
    const header = { type: FrameType.REQUEST, flags, attempt: 0, session: 7, id: 1 + (i % perSource) } as const;
    engine.receive(encodeRequestFrame(header, 5000, method, payload, NO_SPAN, undefined, CodecId.MSGPACK), peers[Math.floor(i / perSource)]!, 0);
  }
  const held = retained() - before;
  const s = engine.stats();
  return { retained: held, charged: s.cacheBytes + s.stateBytes, entries: s.cacheEntries };
}

const answering = (options: Partial<ConstructorParameters<typeof ServerEngine>[0]> = {}): ServerEngine => {
  const engine: ServerEngine = new ServerEngine({ send: () => {}, hooks: { onCall: (call) => engine.respondOk(call, new Uint8Array(4), 0) }, ...options });
  return engine;
};

describe('reply-cache entries retain no more than they are charged (dedup.maxBytes)', () => {
  it('5,000 answered entries with a 4-byte result: retained ≤ charged × 1.1', () => {
    const m = measure(answering(), 0);
    expect(m.entries).toBe(ENTRIES);
    expect(m.retained).toBeLessThanOrEqual(m.charged * 1.1); // before: ~3.1× the charge
    expect(m.retained).toBeGreaterThanOrEqual(m.charged * 0.8); // and not grossly overcharged
  });

  it('5,000 running entries holding their payload: retained ≤ charged × 1.1', () => {
    const engine = new ServerEngine({ send: () => {}, hooks: { onCall: () => {} }, admission: { maxRunning: ENTRIES, maxQueued: ENTRIES } });
    const m = measure(engine, 0);
    expect(m.entries).toBe(ENTRIES);
    expect(engine.stats().running).toBe(ENTRIES);
    expect(m.retained).toBeLessThanOrEqual(m.charged * 1.1);
  });

  it('5,000 notifications (no reply to cache): retained ≤ charged × 1.1', () => {
    const m = measure(answering(), 0x02 /* NO_REPLY */);
    expect(m.entries).toBe(ENTRIES);
    expect(m.retained).toBeLessThanOrEqual(m.charged * 1.1);
  });

  it('5,000 answered entries whose sessions left the session table: retained ≤ charged × 1.1', () => {
    // One source at a time in the table: each of 50 peers pushes the previous one out.
    const engine = answering({ sources: { maxSources: 1 } });
    const m = measure(engine, 0, 100);
    expect(m.entries).toBe(ENTRIES);
    expect(engine.stats().sources).toBe(1);
    expect(m.retained).toBeLessThanOrEqual(m.charged * 1.1); // before: ~4×
  });
});
