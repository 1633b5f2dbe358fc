// What the reply cache charges against dedup.maxBytes (protocol.md §6.3):
// per entry, the measured bookkeeping cost (ENTRY_OVERHEAD_BYTES, 600 bytes
// on Node 20 x64), plus its request payload while it runs or its reply once
// answered, plus ORPHAN_INDEX_BYTES (140) while its session is out of the
// session table. Exact oracles; test/hardening/cache-entry-memory.test.ts
// checks the figures against the heap.
import { describe, expect, it } from 'vitest';
import { CodecId, type PeerAddress } from '../src/index.js';
import { encodeFrame, encodeMethodName, encodeRequestFrame, FrameType } from '../src/wire/index.js';
import { ServerEngine, type IncomingCall } from '../src/engine/index.js';

const ENTRY = 600;
const ORPHAN = 140;
const N = 1000;
const NO_SPAN = 0xffff_ffff; // no low-water mark: nothing is released early
const method = encodeMethodName('calc.add');
const payload = new Uint8Array(12).fill(7);
const peer = (n: number): PeerAddress => ({ address: `10.0.${n >> 8}.${n & 255}`, family: 'IPv4', port: 4000 });

function request(session: number, id: number, flags = 0): Uint8Array {
  return encodeRequestFrame({ type: FrameType.REQUEST, flags, attempt: 0, session, id }, 5000, method, payload, NO_SPAN, undefined, CodecId.MSGPACK);
}

/** An engine whose handler answers every call at once with a 4-byte result (or never, with `answer` false); `replies` gets each reply's length. */
function rig(answer: boolean, options: Partial<ConstructorParameters<typeof ServerEngine>[0]> = {}): { engine: ServerEngine; replies: number[] } {
  const replies: number[] = [];
  const engine: ServerEngine = new ServerEngine({
    send: (bytes) => replies.push(bytes.length),
    hooks: { onCall: (call: IncomingCall) => (answer ? engine.respondOk(call, new Uint8Array(4), 0) : undefined) },
    admission: { maxRunning: N, maxQueued: N },
    ...options,
  });
  return { engine, replies };
}

describe('reply-cache charge per entry (dedup.maxBytes)', () => {
  it(`${N} answered calls: N × (600 + reply bytes)`, () => {
    const { engine, replies } = rig(true);
    for (let id = 1; id <= N; id++) engine.receive(request(7, id), peer(1), 0);
    expect(replies).toHaveLength(N);
    const reply = replies[0]!;
    expect(replies.every((r) => r === reply)).toBe(true);
    expect(engine.stats()).toMatchObject({ cacheEntries: N, cacheBytes: N * (ENTRY + reply) }); // before: N × (160 + reply)
  });

  it(`${N} running calls: N × (600 + payload bytes); cancelled, N × 600`, () => {
    const { engine } = rig(false);
    for (let id = 1; id <= N; id++) engine.receive(request(7, id), peer(1), 0);
    expect(engine.stats()).toMatchObject({ cacheEntries: N, running: N, cacheBytes: N * (ENTRY + payload.length) });
    for (let id = 1; id <= N; id++) engine.receive(encodeFrame({ type: FrameType.CANCEL, flags: 0, attempt: 0, session: 7, id }, new Uint8Array(0)), peer(1), 1);
    expect(engine.stats()).toMatchObject({ cacheEntries: N, cacheBytes: N * ENTRY });
  });

  it(`${N} notifications: N × 600 (nothing to cache but the entry)`, () => {
    const { engine, replies } = rig(true);
    for (let id = 1; id <= N; id++) engine.receive(request(7, id, 0x02 /* NO_REPLY */), peer(1), 0);
    expect(replies).toHaveLength(0);
    expect(engine.stats()).toMatchObject({ cacheEntries: N, cacheBytes: N * ENTRY });
  });

  it('entries of a session that left the session table are charged 140 more each, until they go; the cap still holds', () => {
    // Room for one source: every new source pushes the previous one out.
    const sources = { maxSources: 1 };
    const perSource = 10;
    const { engine, replies } = rig(true, { sources });
    for (let s = 0; s < 20; s++) for (let id = 1; id <= perSource; id++) engine.receive(request(7, id), peer(s), 0);
    const reply = replies[0]!;
    const orphaned = 19 * perSource; // all but the last source's
    expect(engine.stats()).toMatchObject({ sources: 1, cacheEntries: 20 * perSource });
    expect(engine.stats().cacheBytes).toBe(20 * perSource * (ENTRY + reply) + orphaned * ORPHAN);

    // Running entries orphaned, then answered and cancelled: the orphan charge stays with them.
    const calls: IncomingCall[] = [];
    const engine2 = new ServerEngine({ send: () => {}, hooks: { onCall: (c) => void calls.push(c) }, sources, admission: { maxRunning: N, maxQueued: N } });
    for (let id = 1; id <= 4; id++) engine2.receive(request(7, id), peer(1), 0);
    engine2.receive(request(7, 1), peer(2), 0); // peer 1 is pushed out: its 4 entries become orphans
    expect(engine2.stats().cacheBytes).toBe(4 * (ENTRY + payload.length + ORPHAN) + (ENTRY + payload.length));
    engine2.respondOk(calls[0]!, new Uint8Array(4), 1);
    engine2.receive(encodeFrame({ type: FrameType.CANCEL, flags: 0, attempt: 0, session: 7, id: 2 }, new Uint8Array(0)), peer(1), 1);
    // A CANCEL from peer 1 recreated its source (pushing peer 2 out), but the entry stays an orphan: still charged as one.
    const s = engine2.stats();
    expect(s.cacheEntries).toBe(5);
    expect(s.cacheBytes).toBe((ENTRY + reply + ORPHAN) + (ENTRY + ORPHAN) + 2 * (ENTRY + payload.length + ORPHAN) + (ENTRY + payload.length + ORPHAN));

    // Everything expires: back to exactly zero.
    for (let t = 0, i = 0; i < 100; i++) {
      const at = engine2.nextTimerAt();
      if (at === undefined) break;
      engine2.onTimer((t = Math.max(t, at)));
      for (const c of calls) engine2.respondOk(c, new Uint8Array(4), t);
    }
    expect(engine2.stats()).toMatchObject({ cacheEntries: 0, cacheBytes: 0 });
  });

  it('the byte cap counts the orphan charge: orphaning past the cap evicts finished entries, oldest first', () => {
    const perSource = 10;
    const probe = rig(true);
    probe.engine.receive(request(7, 1), peer(0), 0);
    const reply = probe.replies[0]!;
    const one = ENTRY + reply;
    // Exactly 20 answered entries fit, 10 of them orphaned.
    const maxBytes = 20 * one + 10 * ORPHAN;
    const { engine } = rig(true, { dedup: { maxBytes }, sources: { maxSources: 1 } });
    for (let id = 1; id <= perSource; id++) engine.receive(request(7, id), peer(1), 0);
    for (let id = 1; id <= perSource; id++) engine.receive(request(7, id), peer(2), 0); // pushes peer 1 out
    expect(engine.stats()).toMatchObject({ cacheEntries: 20, cacheBytes: maxBytes, cacheEvictions: 0 });
    // Peer 3 pushes peer 2 out: 10 more orphans, 1,400 bytes over the cap, so the
    // two oldest entries go (2 × (one + 140) ≥ 1,400); peer 3's answered call then
    // takes one more.
    engine.receive(request(7, 1), peer(3), 0);
    expect(engine.stats()).toMatchObject({ cacheEntries: 18, cacheEvictions: 3, cacheBytes: 18 * one + 17 * ORPHAN }); // before: never evicted by orphaning
    expect(engine.stats().cacheBytes).toBeLessThanOrEqual(maxBytes);
  });
});
