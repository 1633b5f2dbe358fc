// The reply cache's byte cap and expiry at the server engine
// (server/dedup-cache.ts, protocol.md §6.2–6.3): finished entries evicted
// oldest first (a duplicate moves an entry to the recent end), a copy of an
// evicted call refused ABORTED / MAY_HAVE_RUN rather than run again, an
// idempotent method's eviction leaving no such mark, and a duplicate
// extending an entry's life to at least graceMs from then.
import { describe, expect, it } from 'vitest';
import { decodeErrorBody } from '../src/wire/error-body.js';
import { Flag, FrameType } from '../src/wire/frame-header.js';
import { encodeFrame } from '../src/wire/frame.js';
import { encodeMethodName, encodeRequestFrame } from '../src/wire/request-body.js';
import type { ServerEngineOptions } from '../src/server/server-engine.js';
import type { PeerAddress } from '../src/transport/transport.js';
import { scriptedServer } from './scripted-server.js';

const A: PeerAddress = Object.freeze({ address: '10.0.0.1', family: 'sim', port: 1111 });
const request = (id: number, attempt = 0, deadlineMs = 5000) =>
  encodeRequestFrame({ type: FrameType.REQUEST, flags: 0, attempt, session: 7, id }, deadlineMs, encodeMethodName('svc.m'), new Uint8Array(0), 0xffffffff, 0, 2);

function server(options: Partial<Omit<ServerEngineOptions, 'send' | 'hooks'>> = {}, idempotent = false) {
  const { engine, out, calls } = scriptedServer(options, idempotent);
  /** Calls id and answers it with `replyBytes` bytes at `now`. */
  const answered = (id: number, replyBytes: number, now: number) => {
    engine.receive(request(id), A, now);
    engine.respondOk(calls.at(-1)!, new Uint8Array(replyBytes), now);
  };
  return { engine, out, calls, answered };
}

describe('byte cap', () => {
  it('a finished entry over the cap is evicted, oldest first; a copy of it is refused, not run again', () => {
    // Each answered entry: 600 + its cached reply frame (14 + 86 = 100 bytes) = 700.
    const { engine, out, calls, answered } = server({ dedup: { maxBytes: 1400 } });
    answered(1, 86, 0);
    answered(2, 86, 1);
    expect(engine.stats()).toMatchObject({ cacheEntries: 2, cacheBytes: 1400, cacheEvictions: 0 });
    answered(3, 86, 2);
    expect(engine.stats()).toMatchObject({ cacheEntries: 2, cacheBytes: 1400, cacheEvictions: 1 });
    out.length = 0;
    engine.receive(request(1, 1), A, 3);
    expect(calls.map((c) => c.id)).toEqual([1, 2, 3]);
    expect(out.map((f) => [f.type, f.flags, f.id])).toEqual([[FrameType.ERROR, Flag.MAY_HAVE_RUN, 1]]);
    const b = decodeErrorBody(out[0]!.body);
    expect(b.ok && [b.value.code, b.value.message]).toEqual([10, 'may have run (the server lost its record); not run again']);
    expect(engine.stats()).toMatchObject({ duplicatesRefused: 1 });
  });

  it('a duplicate moves its entry to the recent end of the eviction order', () => {
    const { engine, out, calls, answered } = server({ dedup: { maxBytes: 1400 } });
    answered(1, 86, 0);
    answered(2, 86, 1);
    engine.receive(request(1, 1), A, 2); // replayed: 1 is now the most recent
    answered(3, 86, 3); // evicts 2
    out.length = 0;
    engine.receive(request(1, 2), A, 4);
    expect(out.map((f) => [f.type, f.attempt])).toEqual([[FrameType.RESPONSE, 2]]);
    engine.receive(request(2, 1), A, 5);
    expect(out.map((f) => f.type)).toEqual([FrameType.RESPONSE, FrameType.ERROR]);
    expect(calls.map((c) => c.id)).toEqual([1, 2, 3]);
  });

  for (const idempotent of [false, true]) {
    it(`an evicted cancelled entry of a${idempotent ? 'n idempotent' : ' non-idempotent'} method: a copy is ${idempotent ? 'run again' : 'refused'}`, () => {
      const { engine, out, calls } = server({ dedup: { maxBytes: 1200 } }, idempotent);
      engine.receive(request(2), A, 0);
      engine.receive(request(3), A, 0);
      engine.receive(request(1), A, 1); // 3 × 600 running: the cap is only enforced as entries finish
      engine.receive(encodeFrame({ type: FrameType.CANCEL, flags: 0, attempt: 0, session: 7, id: 1 }, new Uint8Array(0)), A, 2);
      // Cancelled, 1 is the only finished entry, and over the cap: it goes at once.
      expect(engine.stats()).toMatchObject({ cacheEvictions: 1, cacheEntries: 2, cacheBytes: 1200 });
      out.length = 0;
      engine.receive(request(1, 1), A, 5);
      expect(calls.map((c) => c.id)).toEqual(idempotent ? [2, 3, 1, 1] : [2, 3, 1]);
      expect(out.map((f) => f.type)).toEqual(idempotent ? [] : [FrameType.ERROR]);
    });
  }
});

describe('expiry', () => {
  it('a duplicate of a finished call extends its life to at least graceMs from then', () => {
    const { engine, calls } = server({ dedup: { graceMs: 100 } });
    engine.receive(request(1, 0, 50), A, 0);
    engine.respondOk(calls[0]!, new Uint8Array(0), 10);
    expect(engine.nextTimerAt()).toBe(150);
    engine.receive(request(1, 1, 50), A, 120);
    expect(engine.nextTimerAt()).toBe(220);
    engine.receive(request(1, 2, 50), A, 121); // never earlier than it was
    expect(engine.nextTimerAt()).toBe(221);
    engine.onTimer(221);
    expect(engine.stats().cacheEntries).toBe(0);
  });
});
