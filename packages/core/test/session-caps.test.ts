// What one source can make the server remember (protocol.md §6.3,
// CONVENTIONS.md "Everything a peer can make us keep is counted"): at most
// 16 client sessions per source address, and per session at most 4096
// finished calls listed for release by a later low-water mark. Both caps are
// checked exactly: the 17th session and the 4097th finished call.
import { describe, expect, it } from 'vitest';
import type { CallEntry } from '../src/dedup-cache.js';
import { encodeRequestFrame, FrameType } from '../src/frame.js';
import { ServerEngine } from '../src/server-engine.js';
import { MAX_SESSIONS_PER_SOURCE, sessionOf, SessionState } from '../src/session-state.js';
import { defaultSourceLimits, SourceTable } from '../src/source-table.js';
import { CLIENT, METHOD, SERVER } from './engine-pair.js';

const IDLE_MS = 60_000;

function freshSource() {
  return new SourceTable(defaultSourceLimits).get('client|1', 0);
}

describe('sessions per source: 16', () => {
  it('the cap is 16', () => {
    expect(MAX_SESSIONS_PER_SOURCE).toBe(16);
  });

  it('16 sessions are all kept; the 17th pushes out the oldest, and only it', () => {
    const source = freshSource();
    const dropped: SessionState[] = [];
    const first = sessionOf(source, 1, 0, IDLE_MS, (s) => dropped.push(s));
    for (let id = 2; id <= 16; id++) sessionOf(source, id, id, IDLE_MS, (s) => dropped.push(s));
    expect(source.sessions.size).toBe(16);
    expect(dropped).toEqual([]);
    sessionOf(source, 17, 17, IDLE_MS, (s) => dropped.push(s));
    expect(source.sessions.size).toBe(16);
    expect(dropped).toEqual([first]);
    expect([...source.sessions.keys()]).toEqual([...Array(16).keys()].map((i) => i + 2));
    // It held no low-water mark: nothing was lost that could make a retransmission ambiguous.
    expect(source.lostStateAt).toBe(-Infinity);
  });

  it('pushing out a session that held a low-water mark marks the source as having lost state, at that time', () => {
    const source = freshSource();
    sessionOf(source, 1, 0, IDLE_MS).advance(10, () => {});
    for (let id = 2; id <= 16; id++) sessionOf(source, id, 0, IDLE_MS);
    expect(source.lostStateAt).toBe(-Infinity);
    sessionOf(source, 17, 500, IDLE_MS);
    expect(source.lostStateAt).toBe(500);
  });

  it('seeing a known session again creates nothing', () => {
    const source = freshSource();
    for (let round = 0; round < 3; round++) for (let id = 1; id <= 16; id++) sessionOf(source, id, round, IDLE_MS);
    expect(source.sessions.size).toBe(16);
  });

  it('ServerEngine: requests from 40 sessions of one address leave 16 sessions; a second address has its own 16', () => {
    const engine = new ServerEngine({ send: () => {}, hooks: { onCall: () => {} } });
    const request = (session: number) =>
      encodeRequestFrame({ type: FrameType.REQUEST, flags: 0, attempt: 0, session, id: 1 }, 5000, METHOD, new Uint8Array(0));
    for (let session = 1; session <= 40; session++) engine.receive(request(session), CLIENT, 0);
    expect(engine.stats().sessions).toBe(16);
    for (let session = 1; session <= 17; session++) engine.receive(request(session), SERVER, 0);
    expect(engine.stats()).toMatchObject({ sessions: 32, sources: 2, requests: 57 });
  });
});

describe('finished calls listed per session: 4096', () => {
  const entry = (id: number) => ({ id }) as CallEntry;

  it('4096 finished calls are all released by a low-water mark above them', () => {
    const session = new SessionState(0, freshSource());
    for (let id = 0; id < 4096; id++) session.noteDone(entry(id));
    const forgotten: number[] = [];
    session.advance(10_000, (e) => forgotten.push(e.id));
    expect(forgotten).toEqual([...Array(4096).keys()]);
  });

  it('the 4097th pushes the oldest off the list (left to its TTL): exactly 4096 are released, oldest first', () => {
    const session = new SessionState(0, freshSource());
    for (let id = 0; id <= 4096; id++) session.noteDone(entry(id));
    const forgotten: number[] = [];
    session.advance(10_000, (e) => forgotten.push(e.id));
    expect(forgotten).toHaveLength(4096);
    expect(forgotten[0]).toBe(1);
    expect(forgotten[4095]).toBe(4096);
  });

  it('10,000 finished calls keep only the newest 4096 listed; a mark in the middle releases only what is listed below it', () => {
    const session = new SessionState(0, freshSource());
    for (let id = 0; id < 10_000; id++) session.noteDone(entry(id));
    const forgotten: number[] = [];
    session.advance(7000, (e) => forgotten.push(e.id));
    // Listed: 5904..9999; below 7000: 5904..6999.
    expect(forgotten).toEqual([...Array(7000 - 5904).keys()].map((i) => i + 5904));
    session.advance(20_000, (e) => forgotten.push(e.id));
    expect(forgotten).toHaveLength(4096);
  });
});
