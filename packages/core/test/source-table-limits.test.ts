// The server's per-address state (server/source-table.ts, session-state.ts;
// protocol.md §6.3, §8.2–8.4): the rate limit's token bucket, the caps on
// sources and state bytes (least recently seen forgotten first, and when
// forgetting loses dedup state that still matters), validation lifetime,
// and a session's low-water mark and id tracking. Exact counts and times.
import { describe, expect, it } from 'vitest';
import { defaultSourceLimits, RTT_STATE_BYTES, SESSION_STATE_BYTES, SOURCE_STATE_BYTES, type SourceLimits } from '../src/server/source-limits.js';
import { SourceTable } from '../src/server/source-table.js';
import { MAX_ID_STEP, MAX_SESSIONS_PER_SOURCE, serialBefore, SessionState } from '../src/server/session-state.js';
import type { CallEntry } from '../src/server/call-entry.js';

const table = (limits: Partial<SourceLimits> = {}, lifetimeMs = Infinity, onForget?: (key: string) => void) =>
  new SourceTable({ ...defaultSourceLimits, ...limits }, lifetimeMs, onForget === undefined ? undefined : (s) => onForget(s.key));

describe('constants', () => {
  it('400 bytes a source, 300 a session, 16 sessions, ids within 65 536 of the highest; defaults', () => {
    expect([SOURCE_STATE_BYTES, SESSION_STATE_BYTES, MAX_SESSIONS_PER_SOURCE, MAX_ID_STEP]).toEqual([400, 300, 16, 65_536]);
    expect(defaultSourceLimits).toEqual({ ratePerSecond: 100_000, rateBurst: 100_000, amplificationFactor: 3, maxSources: 65_536, maxStateBytes: 64 * 1024 * 1024, validationLifetimeMs: 30_000 });
  });
});

describe('rate limit', () => {
  it('rateBurst datagrams at once, then ratePerSecond refilled over time, never above the burst', () => {
    const t = table({ ratePerSecond: 10, rateBurst: 3 });
    const s = t.get('a', 0);
    expect([0, 0, 0, 0].map(() => t.admit(s, 0))).toEqual([true, true, true, false]);
    expect(t.admit(s, 99)).toBe(false); // 0.99 tokens
    expect(t.admit(s, 100)).toBe(true); // 1.0 (0.99 + 0.01)
    expect(t.admit(s, 100)).toBe(false);
    expect([10_000, 10_000, 10_000, 10_000].map((now) => t.admit(s, now))).toEqual([true, true, true, false]);
  });

  it('an admitted datagram may earn a challenge; a refused one does not', () => {
    const t = table({ rateBurst: 1, ratePerSecond: 0 });
    const s = t.get('a', 0);
    expect(s.mayChallenge).toBe(false);
    t.admit(s, 0);
    expect(s.mayChallenge).toBe(true);
    s.mayChallenge = false;
    expect(t.admit(s, 0)).toBe(false);
    expect(s.mayChallenge).toBe(false);
  });
});

describe('caps', () => {
  it('maxStateBytes must hold one source with all its sessions and its RTT state', () => {
    expect(RTT_STATE_BYTES).toBe(150);
    const least = 400 + 16 * 300 + 150;
    expect(() => table({ maxStateBytes: least - 1 })).toThrow(new RangeError(`sources.maxStateBytes must be at least ${least}`));
    expect(() => table({ maxStateBytes: Number.NaN })).toThrow(RangeError);
    expect(table({ maxStateBytes: least }).bytes).toBe(0);
  });

  it('maxSources: the least recently seen is forgotten for a new one, and told', () => {
    const forgotten: string[] = [];
    const t = table({ maxSources: 2 }, Infinity, (k) => forgotten.push(k));
    const a = t.get('a', 0);
    t.get('b', 0);
    t.get('c', 0);
    expect([[...t.entries()].map(([k]) => k), forgotten, a.forgotten, t.size]).toEqual([['b', 'c'], ['a'], true, 2]);
    // A forgotten source's calls find its address again, starting over.
    const again = t.current(a, 1);
    expect([again === a, again.key, [...t.entries()].map(([k]) => k)]).toEqual([false, 'a', ['c', 'a']]);
    expect(t.current(again, 1)).toBe(again);
  });

  it('seen again more than a second later, a source moves to the recent end; within a second it does not', () => {
    const t = table({ maxSources: 2 });
    t.get('a', 0);
    t.get('b', 0);
    t.get('a', 1000); // not more than 1000 ms: stays oldest
    t.get('c', 1000);
    expect([...t.entries()].map(([k]) => k)).toEqual(['b', 'c']);
    const u = table({ maxSources: 2 });
    u.get('a', 0);
    u.get('b', 0);
    u.get('a', 1001);
    u.get('c', 1001);
    expect([...u.entries()].map(([k]) => k)).toEqual(['a', 'c']);
  });

  it('bytes: 400 per source and 300 per session; a new session over the cap forgets other sources, never its own', () => {
    const t = table({ maxStateBytes: 400 + 16 * 300 + 400 });
    const a = t.get('a', 0);
    t.session(a, 1, 0, Infinity);
    expect([t.bytes, t.sessionCount]).toEqual([700, 1]);
    const b = t.get('b', 0);
    expect(t.bytes).toBe(1100);
    for (let id = 2; id <= 16; id++) t.session(a, id, 0, Infinity);
    // a: 400 + 16 × 300 = 5200; b (400) still fits exactly.
    expect([t.bytes, t.size, b.forgotten]).toEqual([5600, 2, false]);
    t.session(b, 1, 0, Infinity); // 5900 > 5600: a is the oldest other source
    expect([t.size, a.forgotten, t.bytes, t.sessionCount]).toEqual([1, true, 700, 1]);
  });

  it('forgetting a source whose sessions held a low-water mark seen within the state lifetime marks every new source as having lost state', () => {
    const t = table({ maxSources: 1 }, 1000);
    const a = t.get('a', 0);
    t.session(a, 1, 0, Infinity).lowWater = 5;
    const b = t.get('b', 500); // a forgotten at 500: its mark was seen at 0, within 1000
    expect(b.lostStateAt).toBe(500);
    // Forgetting b, whose own state was lost at 500 (still recent), loses state again.
    const c = t.get('c', 600);
    expect(c.lostStateAt).toBe(600);
    const u = table({ maxSources: 1 }, 1000);
    const x = u.get('x', 0);
    u.session(x, 1, 0, Infinity).lowWater = 5;
    expect(u.get('y', 1000).lostStateAt).toBe(-Infinity); // seen 1000 ago: no longer matters
    const w = table({ maxSources: 1 }, 1000);
    w.session(w.get('p', 0), 1, 0, Infinity); // no mark: nothing lost
    expect(w.get('q', 10).lostStateAt).toBe(-Infinity);
  });
});

describe('validation', () => {
  it('holds for its session for validationLifetimeMs, and starts the 3× account over; session 0 is never validated', () => {
    const t = table({ validationLifetimeMs: 100 });
    const s = t.get('a', 0);
    t.received(s, 5, 50, 0);
    t.validate(s, 5, 10);
    expect([s.bytesIn, s.bytesOut]).toEqual([0, 0]);
    expect([t.isValidated(s, 5, 109), t.isValidated(s, 5, 110), t.isValidated(s, 6, 50)]).toEqual([true, false, false]);
    t.validate(s, 0, 200);
    expect(t.isValidated(s, 0, 200)).toBe(false);
    t.received(s, undefined, 7, 200);
    expect(s.bytesIn).toBe(7);
  });
});

describe('sessions', () => {
  it('sessionOf: an idle session is dropped; the 17th pushes out the oldest', () => {
    const t = table();
    const s = t.get('a', 0);
    const dropped: number[] = [];
    t.session(s, 1, 0, 100);
    t.session(s, 2, 50, 100);
    t.session(s, 3, 101, 100, (x) => dropped.push(x.lastSeenAt)); // 1 idle for 101 > 100
    expect([[...s.sessions.keys()], dropped, t.sessionCount]).toEqual([[2, 3], [0], 2]);
    t.session(s, 2, 150, 100);
    t.session(s, 4, 250, 100); // 2 seen at 150: 100, not more: kept; 3 seen at 101: dropped
    expect([...s.sessions.keys()]).toEqual([2, 4]);
  });

  it('serialBefore: modulo 2^32, half the space ahead', () => {
    expect([serialBefore(1, 2), serialBefore(2, 1), serialBefore(5, 5), serialBefore(0xffff_ffff, 0), serialBefore(0, 0x8000_0000), serialBefore(0, 0x7fff_ffff)]).toEqual([
      true,
      false,
      false,
      true,
      false,
      true,
    ]);
  });

  it('highestId follows ids at most 65 536 ahead; the mark never passes highest + 1 and never moves back', () => {
    const s = new SessionState(0, { lostStateAt: -Infinity, sessions: new Map() });
    const forgotten: number[] = [];
    s.advance(10, () => {});
    expect(s.lowWater).toBeUndefined(); // no id seen yet
    s.noteId(100);
    s.noteId(100 + 65_537); // too far ahead: ignored
    s.noteId(100 + 65_536);
    expect(s.highestId).toBe(100 + 65_536);
    s.noteId(50);
    expect(s.highestId).toBe(100 + 65_536);
    s.advance(200_000, (e) => forgotten.push(e.id));
    expect(s.lowWater).toBe(100 + 65_537);
    s.advance(300, () => {});
    expect(s.lowWater).toBe(100 + 65_537);
    expect([s.isStale(100 + 65_536), s.isStale(100 + 65_537)]).toEqual([true, false]);
  });

  it('advance forgets the finished calls below the mark, oldest first, and only those', () => {
    const s = new SessionState(0, { lostStateAt: -Infinity, sessions: new Map() });
    const entry = (id: number) => ({ id, inSessionDone: false, prevInSession: undefined, nextInSession: undefined }) as unknown as CallEntry;
    const [e1, e2, e3] = [1, 2, 3].map(entry);
    s.noteId(3);
    s.noteDone(e1!);
    s.noteDone(e3!);
    s.noteDone(e2!);
    s.noteDone(e2!); // once
    s.dropDone(e3!);
    s.dropDone(e3!);
    const forgotten: number[] = [];
    s.advance(3, (e) => forgotten.push(e.id));
    expect(forgotten).toEqual([1, 2]);
    expect([e1!.inSessionDone, e2!.inSessionDone]).toEqual([false, false]);
  });

  it('eviction marks: a call at or below the highest evicted id may have been evicted', () => {
    const s = new SessionState(0, { lostStateAt: -Infinity, sessions: new Map() });
    expect(s.mayHaveBeenEvicted(1)).toBe(false);
    s.noteEvicted(10);
    s.noteEvicted(5);
    expect([s.evictedUpTo, s.mayHaveBeenEvicted(10), s.mayHaveBeenEvicted(3), s.mayHaveBeenEvicted(11)]).toEqual([10, true, true, false]);
  });
});
