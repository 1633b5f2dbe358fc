// Per-session state a peer can make the server hold (the low-water marks of
// protocol.md §6.3): bounded, and what happens when the bound is reached must
// not hurt other peers. Found by the datagram fuzzer's long run (fuzz.test.ts
// with UDPRPC_LONG=1), where the well-behaved client's retransmissions were
// refused with ABORTED once the fuzzer had created enough random sessions.
import { runInNewContext } from 'node:vm';
import { setFlagsFromString } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { type PeerAddress, CodecId } from '@udprpc/core';
import { FrameType, encodeMethodName, encodeRequestFrame } from '@udprpc/core/wire';
import { ServerEngine, type IncomingCall } from '@udprpc/core/engine';
import { RpcError, msgpackCodec } from 'udprpc';
import { settleAll } from '@udprpc/testkit';
import { useHardSim } from './harness.js';

const start = useHardSim();

/** A REQUEST from a fresh session that also sets a low-water mark (span 0). */
function sessionRequest(session: number): Uint8Array {
  const header = { type: FrameType.REQUEST, flags: 0, attempt: 0, session, id: 1 } as const;
  return encodeRequestFrame(header, 5000, encodeMethodName('hard.add'), msgpackCodec.encode({ a: 1, b: 1 }), 0, 0, msgpackCodec.id);
}

describe('session table', () => {
  it('stays bounded when one source invents many sessions', async () => {
    const sim = await start({ server: { sources: { maxSources: 64 } } });
    const attacker = await sim.raw('attacker');
    for (let s = 1; s <= 1000; s++) {
      attacker.send(sessionRequest(s));
      if (s % 50 === 0) await sim.clock.runFor(1);
    }
    await sim.clock.runFor(10);
    expect(sim.server.stats().sessions).toBeLessThanOrEqual(64);
    expect(sim.server.stats().responses).toBe(1000);
  });

  it('a retransmission whose first copy was lost runs normally when nothing was evicted', async () => {
    const sim = await start({ server: { sources: { maxSources: 64 } } });
    const { stub } = await sim.client();
    let lost = 0;
    sim.meter.hold = (f) => f.type === FrameType.REQUEST && f.attempt === 0 && lost++ === 0;
    const [r] = await settleAll(sim.clock, [stub.slow({ tag: 1, ms: 1 })]);
    expect(r).toMatchObject({ status: 'fulfilled', value: 1 });
    expect(sim.probe.of(1)).toBe(1);
  });
});

/** What the server charges per remembered address and per session (protocol.md §8.2). */
const SOURCE_BYTES = 400;
const SESSION_BYTES = 300;

describe('11.3 per-session state is charged to sources.maxStateBytes', () => {
  it('a flood of addresses with 16 sessions each fills the cap exactly and never passes it', async () => {
    const maxStateBytes = 10 * (SOURCE_BYTES + 16 * SESSION_BYTES);
    const sim = await start({ server: { sources: { maxStateBytes } } });
    let peak = 0;
    for (let p = 0; p < 20; p++) {
      const peer = await sim.raw(`flood-${p}`);
      for (let s = 1; s <= 16; s++) {
        peer.send(sessionRequest(s));
        await sim.clock.runFor(1);
        peak = Math.max(peak, sim.server.stats().stateBytes);
      }
    }
    expect(peak).toBe(maxStateBytes);
    expect(sim.server.stats()).toMatchObject({ stateBytes: maxStateBytes, sources: 10, sessions: 160, responses: 320 });
  });

  it('rejects a cap below one address with all its sessions', async () => {
    const start2 = start({ server: { sources: { maxStateBytes: SOURCE_BYTES + 15 * SESSION_BYTES } } });
    await expect(start2).rejects.toThrow(RangeError);
  });
});

describe('11.3 a session that never sends a span keeps nothing beyond its cached entries', () => {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;

  it('20,000 calls with "no span information", 1 ms apart: the calls still reachable are exactly the cache entries', async () => {
    const refs: WeakRef<IncomingCall>[] = [];
    let now = 0;
    const engine: ServerEngine = new ServerEngine({
      send: () => {},
      hooks: {
        onCall: (call) => {
          refs.push(new WeakRef(call));
          engine.respondOk(call, new Uint8Array(4), now);
        },
      },
    });
    const from: PeerAddress = { address: '10.0.0.1', family: 'IPv4', port: 4000 };
    const add = encodeMethodName('hard.add');
    (() => {
      for (let id = 1; id <= 20_000; id++) {
        now++;
        const header = { type: FrameType.REQUEST, flags: 0, attempt: 0, session: 7, id } as const;
        engine.receive(encodeRequestFrame(header, 5000, add, new Uint8Array([0x90]), 0xffff_ffff, undefined, CodecId.MSGPACK), from, now);
        if (id % 100 === 0) engine.onTimer(now);
      }
    })();
    await new Promise((resolve) => setImmediate(resolve)); // WeakRefs made in a job live until it ends
    gc();
    const live = refs.filter((r) => r.deref() !== undefined).length;
    const { cacheEntries } = engine.stats();
    expect(cacheEntries).toBe(7000); // 5 s deadline + 2 s grace at one call per ms
    expect(live).toBe(cacheEntries); // fails before the fix: 20,000 (the session's done list kept them all)
  });
});

describe('regressions (found by these tests, fixed)', () => {
  // Fixed bug (then packages/core/src/server/server-engine.ts constructor, the SessionTable's
  // onLost callback -> DedupCache.noteLostState(); session-table.ts get()):
  // the session table was bounded by sources.maxSources for ALL sources
  // together, and any source can create sessions at will (a new random session
  // number per datagram, with a span so it has a low-water mark). Each session
  // pushed out for room sets the cache's GLOBAL lastEvictionAt, so for the
  // next maxDeadlineMs + graceMs (10 min 2 s) the server refuses every
  // retransmission (attempt > 0) of every non-idempotent call from EVERY
  // client with ABORTED. One source, ~65k datagrams (inside the default
  // per-source burst of 100k): any client whose first copy was lost then failed.
  // The fix: "state lost" is remembered per source address
  // (SourceState.lostStateAt), and sessions are bounded per source (16,
  // session-state.ts) as well as overall.
  it("another source's flood of sessions does not make an honest client's retransmission fail with ABORTED", async () => {
    const sim = await start({ server: { sources: { maxSources: 64 } } });
    const { stub } = await sim.client();
    const attacker = await sim.raw('attacker');
    let lost = 0;
    sim.meter.hold = (f) => f.type === FrameType.REQUEST && f.attempt === 0 && lost++ === 0;
    const call = stub.slow({ tag: 1, ms: 1 }); // its first copy is lost on the way
    await sim.clock.runFor(2);
    for (let s = 1; s <= 100; s++) attacker.send(sessionRequest(s)); // pushes sessions out of the table
    const [r] = await settleAll(sim.clock, [call]);
    const code = r.status === 'rejected' && RpcError.is(r.reason) ? r.reason.code : r.status;
    expect(code).toBe('fulfilled'); // before the fix: 'ABORTED'
  });
});
