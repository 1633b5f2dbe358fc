// Measures what three memory attacks of issue 11 cost a server engine, next to
// what the engine charges to its caps (docs/security.md, "Measured after the
// survival fixes"). The engine is driven directly (sans-io, virtual time), so
// the figures are the engine's own memory, without sockets.
//
//   node --expose-gc --import tsx --conditions=@udprpc/source test/hardening/measure-memory.ts [pin|sessions|nospan|rtt|entry:done|entry:notification|entry:running|entry:orphaned]
//
// Each run is bounded (a fixed number of datagrams) and prints one line per
// attack: heap + ArrayBuffer bytes retained after a full GC, minus the
// baseline, and the bytes the engine charged for it.
import { type PeerAddress, CodecId } from '@udprpc/core';
import { encodeBatch, encodeFrame, encodeMethodName, encodeRequestFrame, FrameType } from '@udprpc/core/wire';
import { ServerEngine, type IncomingCall, type ServerEngineStats } from '@udprpc/core/engine';
import { delivering } from '../../packages/core/test/delivering.js';
import { SourceTable } from '../../packages/core/src/server/source-table.js';
import { defaultSourceLimits, RTT_STATE_BYTES } from '../../packages/core/src/server/source-limits.js';

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with node --expose-gc');

function retained(): number {
  gc!();
  gc!();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

const MiB = (n: number): string => `${(n / 1024 / 1024).toFixed(1)} MiB`;

function engine(options: Partial<ConstructorParameters<typeof ServerEngine>[0]> = {}): ServerEngine {
  let e: ServerEngine;
  const respond = (call: IncomingCall): void => e.respondOk(call, new Uint8Array(4), now);
  e = delivering(new ServerEngine({ send: () => {}, hooks: { onCall: respond }, ...options }));
  return e;
}

let now = 0;
const peers = new Map<number, PeerAddress>();
function peer(n: number): PeerAddress {
  let p = peers.get(n);
  if (p === undefined) peers.set(n, (p = { address: `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`, family: 'IPv4', port: 4000 }));
  return p;
}

function report(name: string, count: string, before: number, stats: ServerEngineStats, charged: number): void {
  const held = retained() - before;
  console.log(`${name}: ${count}: retained ${MiB(held)}, charged ${MiB(charged)} (sources ${stats.sources}, sessions ${stats.sessions}, cache entries ${stats.cacheEntries})`);
}

/** 11.2: BATCHes of a 1-byte fragment of a new message next to a 64 KB junk entry, from 4096 sources. */
function pin(): void {
  const e = engine();
  const junk = new Uint8Array(65_000).fill(0xee);
  const before = retained();
  const datagrams = 4096 * 16;
  for (let i = 0; i < datagrams; i++) {
    const header = { type: FrameType.REQUEST, flags: 0, attempt: 0, session: 1, id: i } as const;
    const fragment = encodeFrame(header, new Uint8Array(1), { totalBytes: 2, index: 0, fragmentBytes: 1 });
    e.receive(encodeBatch([fragment, junk]), peer(i >> 4), now);
  }
  const s = e.stats();
  report('pin (11.2)', `${datagrams} datagrams of 65 KB`, before, s, s.reassemblyBytes);
}

const NO_SPAN = 0xffff_ffff; // protocol.md §5.1: no span information
const add = encodeMethodName('calc.add');
const payload = new Uint8Array([0x93, 1, 2, 3]);

/** 11.3: 65,536 sources × 16 sessions, each one call with a low-water mark. */
function sessions(): void {
  const e = engine();
  const before = retained();
  const sources = 65_536;
  for (let s = 0; s < sources; s++) {
    for (let session = 1; session <= 16; session++) {
      e.receive(encodeRequestFrame({ type: FrameType.REQUEST, flags: 0, attempt: 0, session, id: 1 }, 5000, add, payload, 0, undefined, CodecId.MSGPACK), peer(s), now);
    }
  }
  const s = e.stats();
  report('sessions (11.3)', `${sources} sources x 16 sessions`, before, s, s.cacheBytes + ((s as { stateBytes?: number }).stateBytes ?? 0));
}

/** 11.3: one session sends 200k calls with "no span information", 1 ms apart. */
function nospan(): void {
  const e = engine();
  const before = retained();
  const calls = 200_000;
  for (let id = 1; id <= calls; id++) {
    now++;
    e.receive(encodeRequestFrame({ type: FrameType.REQUEST, flags: 0, attempt: 0, session: 7, id }, 5000, add, payload, NO_SPAN, undefined, CodecId.MSGPACK), peer(1), now);
    if (id % 1000 === 0) e.onTimer(now);
  }
  const s = e.stats();
  report('no span (11.3)', `${calls} calls, 1 ms apart`, before, s, s.cacheBytes + ((s as { stateBytes?: number }).stateBytes ?? 0));
}

/**
 * What one reply-cache entry retains (ENTRY_OVERHEAD_BYTES and
 * ORPHAN_INDEX_BYTES in call-entry.ts): 20,000 calls of one session, no
 * span (so no low-water mark releases them) and no time passing (so none
 * expires). Printed per entry, after taking off the payload or reply bytes
 * the cache charges separately. Each variant runs in a process of its own,
 * so no engine of another variant is collected during the measurement.
 */
const entryVariants: Record<string, () => void> = {
  // Answered, holding its reply (the common case).
  done: () => entryCost('done, 4-byte result', engine(), 0, reply),
  // Notifications: answered with nothing to cache.
  notification: () => entryCost('done, no reply (notification)', engine(), 1 << 1, () => 0),
  // Running: the handler has not answered; the entry holds the request payload.
  running: () =>
    entryCost('running, 4-byte payload', new ServerEngine({ send: () => {}, hooks: { onCall: () => {} }, admission: { maxRunning: 20_000, maxQueued: 20_000 } }), 0, () => payload.length),
  // Orphaned: its session left the session table (its source was pushed out by others): kept by string key.
  orphaned: () => entryCost('orphaned, done, 4-byte result', engine({ sources: { maxSources: 1 } }), 0, reply, 100),
};

function request(session: number, id: number, flags: number): Uint8Array {
  return encodeRequestFrame({ type: FrameType.REQUEST, flags, attempt: 0, session, id }, 5000, add, payload, NO_SPAN, undefined, CodecId.MSGPACK);
}

/** What the cache charges for the reply of one call (respondOk of a 4-byte result): the whole RESPONSE frame. */
function reply(): number {
  let bytes = 0;
  const probe: ServerEngine = delivering(new ServerEngine({ send: (b) => (bytes = b.length), hooks: { onCall: (c) => probe.respondOk(c, new Uint8Array(4), 0) } }));
  probe.receive(request(1, 1, 0), peer(0), 0);
  return bytes;
}

function entryCost(name: string, e: ServerEngine, flags: number, separately: () => number, perSource = 20_000): void {
  const calls = Number(process.env.CALLS ?? 20_000);
  const sep = separately();
  for (let s = 0; s < 4; s++) peer(100 + s); // the peers exist before the baseline
  const before = retained();
  for (let i = 0; i < calls; i++) e.receive(request(7, 1 + (i % perSource), flags), peer(100 + Math.floor(i / perSource)), now);
  const s = e.stats();
  const held = retained() - before - sep * s.cacheEntries;
  console.log(
    `${name}: ${s.cacheEntries} entries, ${s.sources} sources: ${(held / s.cacheEntries).toFixed(0)} bytes retained per entry beyond its payload/reply ` +
      `(charged: ${((s.cacheBytes - sep * s.cacheEntries) / s.cacheEntries).toFixed(0)})`,
  );
}

/**
 * What one address's RTT estimator retains (RTT_STATE_BYTES in
 * source-table.ts): 20,000 remembered addresses, then an estimator for each,
 * sampled twice (its numbers boxed, as after real replies).
 */
function rtt(): void {
  const n = 20_000;
  const table = new SourceTable(defaultSourceLimits);
  const sources = Array.from({ length: n }, (_, i) => table.get(`10.0.${i >> 8}.${i & 255}|4000`, 0));
  const before = retained();
  for (const s of sources) {
    const estimator = table.rttOf(s, 0);
    estimator.sample(3.25);
    estimator.sample(4.5);
  }
  const held = retained() - before;
  console.log(`rtt: ${table.rttCount} estimators: ${(held / n).toFixed(0)} bytes retained per estimator (charged: ${RTT_STATE_BYTES})`);
}

const which = process.argv[2];
if (which === 'rtt') rtt();
if (which === undefined || which === 'pin') pin();
if (which === undefined || which === 'sessions') sessions();
if (which === undefined || which === 'nospan') nospan();
if (which?.startsWith('entry')) entryVariants[which.slice(6) || 'done']!();
