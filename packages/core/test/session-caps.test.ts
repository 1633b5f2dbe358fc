// What one source can make the server remember (protocol.md §6.3,
// CONVENTIONS.md "Everything a peer can make us keep is counted"): at most
// 16 client sessions per source address, checked exactly: the 17th session.
import { describe, expect, it } from 'vitest';
import type { CallEntry } from '../src/server/call-entry.js';
import { FrameType } from '../src/wire/frame-header.js';
import { encodeRequestFrame } from '../src/wire/request-body.js';
import { ServerEngine } from '../src/server/server-engine.js';
import { MAX_SESSIONS_PER_SOURCE, sessionOf, SessionState } from '../src/server/session-state.js';
import { SourceTable } from '../src/server/source-table.js';
import { defaultSourceLimits } from '../src/server/source-limits.js';
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
    const marked = sessionOf(source, 1, 0, IDLE_MS);
    marked.noteId(10); // a mark moves at most one past the highest id seen (protocol.md §6.3)
    marked.advance(10, () => {});
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

// The per-session list of finished calls has no count cap of its own any more:
// it is threaded through the reply cache's entries and loses each one the
// cache forgets, so it is bounded by dedup.maxBytes (test/hardening/
// session-table.test.ts, "20,000 calls with 'no span information'").
