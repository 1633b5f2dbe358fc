// Two small pieces of the server's restart and drain rules
// (server/incarnation.ts, drain-state.ts; protocol.md §5.9, §6.3): the
// incarnation number and its restart rule, and when a drain ends and who
// gets a GOAWAY.
import { describe, expect, it } from 'vitest';
import { Incarnation } from '../src/server/incarnation.js';
import { DrainState, goAwayTargets } from '../src/server/drain-state.js';
import type { SourceState } from '../src/server/source-table.js';
import type { SessionState } from '../src/server/session-state.js';

describe('Incarnation', () => {
  it('a random non-zero number, big-endian in the ACK body', () => {
    const i = new Incarnation(() => 0.5, 0, 100);
    expect(i.value).toBe(0x8000_0000);
    expect([...i.ackBody]).toEqual([0x80, 0, 0, 0]);
    expect(new Incarnation(() => 0, 0, 100).value).toBe(1);
  });

  it('a call naming another incarnation may predate this one; naming this one, never', () => {
    const i = new Incarnation(() => 0.5, 0, 100);
    expect([i.mayPredate(7, 10_000), i.mayPredate(0x8000_0000, 0)]).toEqual([true, false]);
  });

  it('a call naming none is suspect for startupGraceMs after the start', () => {
    const i = new Incarnation(() => 0.5, 1000, 100);
    expect([i.mayPredate(0, 1000), i.mayPredate(0, 1099), i.mayPredate(0, 1100)]).toEqual([true, true, false]);
  });

  it('without a start time, the first datagram sets it, and later ones do not move it', () => {
    const i = new Incarnation(() => 0.5, undefined, 100);
    i.noteDatagram(500);
    i.noteDatagram(550);
    expect([i.mayPredate(0, 599), i.mayPredate(0, 600)]).toEqual([true, false]);
  });
});

describe('DrainState', () => {
  it('ends at closeBy while busy; lingerMs after it became idle, if earlier', () => {
    const d = new DrainState(0, 1000, 300);
    expect(d.endsAt).toBe(1000);
    d.update(true, 200);
    d.update(true, 400); // still idle since 200
    expect(d.endsAt).toBe(500);
    d.update(false, 450);
    expect(d.endsAt).toBe(1000);
    d.update(true, 900);
    expect(d.endsAt).toBe(1000);
    expect([d.ended, d.goAways, d.refused, d.startedAt, d.closeBy]).toEqual([false, 0, 0, 0, 1000]);
  });
});

describe('goAwayTargets', () => {
  const session = (lastSeenAt: number) => ({ lastSeenAt }) as SessionState;
  const source = (key: string, sessions: Array<[number, number]>, peer = true) =>
    [key, { key, peer: peer ? { address: key, family: 'sim', port: 1 } : undefined, sessions: new Map(sessions.map(([id, t]) => [id, session(t)])) } as unknown as SourceState] as [string, SourceState];

  it('each source that sent a REQUEST within recentMs, once, in the session it used last', () => {
    const targets = goAwayTargets(
      [source('a', [[1, 100], [2, 300], [3, 200]]), source('b', [[5, 0]]), source('c', [[6, 500]], false), source('d', []), source('e', [[9, 1]])],
      1000,
      1000,
    );
    expect(targets.map((t) => [t.peerKey, t.session])).toEqual([
      ['a', 2],
      ['e', 9],
    ]);
  });
});
