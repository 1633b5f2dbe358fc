// Every kind of memory a remote peer can make the server hold has a cap
// (issue 6): the reply cache (dedup.maxBytes), unfinished fragmented requests
// (reassembly.*), pending handlers (admission.*) and per-source state
// (sources.maxSources). Each test floods one of them from raw simulated peers
// and checks the cap after every step.
import { describe, expect, it } from 'vitest';
import { Code } from '@udprpc/core';
import { FrameType, decodeErrorBody, encodeFrame, type FrameHeader } from '@udprpc/core/wire';
import { settleAll } from '@udprpc/testkit';
import { bareFrame, requestFrame, useHardSim, type RawPeer } from './harness.js';

const start = useHardSim();
const ENTRY_OVERHEAD = 600; // ENTRY_OVERHEAD_BYTES (packages/core/src/server/call-entry.ts)

describe('reply cache (dedup.maxBytes)', () => {
  it('stays within the cap plus one entry, counts evictions, and refuses a retransmission of an evicted call with ABORTED', async () => {
    const maxBytes = 4000;
    const sim = await start({ server: { dedup: { maxBytes }, antiAmplification: false } });
    const raw = await sim.raw();
    const replyBytes = 500;
    let peak = 0;
    for (let id = 1; id <= 40; id++) {
      raw.send(requestFrame({ id }, 'big', { tag: id, bytes: replyBytes }));
      await sim.clock.runFor(2);
      peak = Math.max(peak, sim.server.stats().cacheBytes);
    }
    const oneEntry = ENTRY_OVERHEAD + 14 + replyBytes + 8;
    expect(peak).toBeGreaterThan(maxBytes - oneEntry);
    expect(peak).toBeLessThanOrEqual(maxBytes + oneEntry);
    expect(sim.server.stats().cacheEvictions).toBeGreaterThan(0);
    expect(raw.received.filter((f) => f.type === FrameType.RESPONSE).length).toBe(40);

    // id 1 was evicted long ago. Its "retransmission" must not run it again.
    raw.send(requestFrame({ id: 1, attempt: 1 }, 'big', { tag: 1, bytes: replyBytes }));
    await sim.clock.runFor(5);
    const refusal = raw.received.at(-1)!;
    expect(refusal).toMatchObject({ type: FrameType.ERROR, id: 1, attempt: 1 });
    const body = decodeErrorBody(refusal.body);
    expect(body.ok && body.value.code).toBe(Code.ABORTED);
    expect(sim.probe.of(1)).toBe(1);
    expect(sim.server.stats().duplicatesRefused).toBe(1);
    // A retransmission of a call still cached is answered from the cache.
    raw.send(requestFrame({ id: 40, attempt: 1 }, 'big', { tag: 40, bytes: replyBytes }));
    await sim.clock.runFor(5);
    expect(raw.received.at(-1)).toMatchObject({ type: FrameType.RESPONSE, id: 40, attempt: 1 });
    expect(sim.probe.of(40)).toBe(1);
  });
});

const FRAG = 1176;

function firstFragment(id: number, totalBytes: number): Uint8Array {
  const header: FrameHeader = { type: FrameType.REQUEST, flags: 0, attempt: 0, session: 0xf100d, id };
  return encodeFrame(header, new Uint8Array(Math.min(FRAG, totalBytes)).fill(0xee), { totalBytes, index: 0, fragmentBytes: FRAG });
}

/** What one partial message costs, reserved at its first fragment (protocol.md §7.4). */
const messageCost = (totalBytes: number): number => 800 + Math.ceil(totalBytes / FRAG) + totalBytes;

describe('reassembly (reassembly.*)', () => {
  const limits = { maxPeerBytes: 40_000, maxTotalBytes: 100_000, maxPeerMessages: 10_000, idleTimeoutMs: 1000 };

  it('a flood of first fragments from one peer, then from many, fills maxPeerBytes and maxTotalBytes exactly', async () => {
    const sim = await start({ server: { reassembly: limits } });
    const one = await sim.raw('one');
    const cost = messageCost(10_000); // 10,809: three fit a peer's 40,000, nine the total 100,000
    let peak = 0;
    for (let id = 0; id < 200; id++) {
      one.send(firstFragment(id, 10_000));
      await sim.clock.runFor(1);
      peak = Math.max(peak, sim.server.stats().reassemblyBytes);
    }
    expect(peak).toBe(3 * cost);
    expect(sim.server.stats().reassemblyRefused).toBe(197);

    const many: RawPeer[] = [];
    for (let p = 0; p < 10; p++) many.push(await sim.raw(`flood-${p}`));
    for (let id = 0; id < 60; id++) {
      for (const peer of many) peer.send(firstFragment(id, 10_000));
      await sim.clock.runFor(1);
      peak = Math.max(peak, sim.server.stats().reassemblyBytes);
    }
    expect(peak).toBe(9 * cost);
    expect(sim.server.stats().reassemblyRefused).toBe(197 + 600 - 6);
    // Refusals are answered (RESOURCE_EXHAUSTED), within the 3× budget of each source.
    for (const peer of [one, ...many]) expect(peer.bytesReceived).toBeLessThanOrEqual(3 * peer.bytesSent);

    // After the idle timeout the flood is released, and a large call works.
    await sim.clock.runFor(limits.idleTimeoutMs + 100);
    expect(sim.server.stats().reassemblyExpired).toBe(9);
    expect(sim.server.stats().reassemblyBytes).toBe(0);
    const { stub } = await sim.client();
    const data = new Uint8Array(30_000).fill(3);
    const [r] = await settleAll(sim.clock, [stub.upload({ tag: 1, data })], { maxTimeMs: 10_000 });
    expect(r).toMatchObject({ status: 'fulfilled', value: 30_000 });
    expect(sim.errors).toEqual([]);
  });

  it('refuses a message above maxMessageBytes and a peer above maxPeerMessages without holding anything', async () => {
    const sim = await start({ server: { reassembly: { maxMessageBytes: 100_000, maxPeerMessages: 4 } } });
    const peer = await sim.raw();
    peer.send(firstFragment(1, 0xffff_ffff)); // a 4 GiB message
    peer.send(firstFragment(2, 200_000));
    await sim.clock.runFor(5);
    expect(sim.server.stats()).toMatchObject({ reassemblyBytes: 0, reassemblyRefused: 2 });
    for (let id = 10; id < 20; id++) peer.send(firstFragment(id, 50_000));
    await sim.clock.runFor(5);
    expect(sim.server.stats().reassemblyRefused).toBe(2 + 6);
    expect(sim.server.stats().reassemblyBytes).toBe(4 * messageCost(50_000));
  });
});

describe('pending handlers (admission.*)', () => {
  it('a flood of slow calls holds at most maxRunning + maxQueued entries', async () => {
    const sim = await start({ server: { admission: { maxRunning: 4, maxQueued: 4, retryAfterMs: 50 } } });
    const raw = await sim.raw();
    for (let id = 1; id <= 100; id++) raw.send(requestFrame({ id }, 'slow', { tag: id, ms: 60_000 }, 120_000));
    await sim.clock.runFor(10);
    expect(sim.server.stats()).toMatchObject({ running: 4, queued: 4, rejected: 92, cacheEntries: 8 });
    expect(sim.probe.maxRunning).toBe(4);
  });
});

describe('per-source state (sources.maxSources)', () => {
  it('the source table never holds more than maxSources addresses', async () => {
    const sim = await start({ server: { sources: { maxSources: 32 } } });
    let peak = 0;
    for (let i = 0; i < 400; i++) {
      const peer = await sim.raw();
      peer.send(requestFrame({ id: i }, 'add', { a: i, b: 0 }));
      if (i % 10 === 0) await sim.clock.runFor(1);
      peak = Math.max(peak, sim.server.stats().sources);
    }
    await sim.clock.runFor(10);
    expect(Math.max(peak, sim.server.stats().sources)).toBeLessThanOrEqual(32);
    expect(sim.server.stats().responses).toBe(400);
  });
});

describe('regressions (found by these tests, fixed)', () => {
  // Fixed bug (packages/core/src/server/dedup-cache.ts cancel() / enforceCap();
  // packages/core/src/server/server-engine.ts onCancel(), as they were then): a
  // CANCELLED entry was never evicted by the byte cap and keeps the bytes of
  // its request payload (ENTRY_OVERHEAD + payload) until deadline + graceMs,
  // i.e. up to maxDeadlineMs (10 min) + 2 s. Its handler slot is released as
  // soon as the handler honours the abort, so admission does not bound them.
  // A peer that sends REQUEST (10-minute deadline, ~1 KB payload) + CANCEL in
  // a loop grows cacheBytes without limit (rate × 10 min × ~1.2 KB), far past
  // dedup.maxBytes. The fix: a cancelled entry drops its payload and is
  // charged ENTRY_OVERHEAD only, and it is evicted by the cap like a finished one.
  it('request + CANCEL pairs cannot grow the cache past dedup.maxBytes', async () => {
    const maxBytes = 20_000;
    const sim = await start({ server: { dedup: { maxBytes }, admission: { maxRunning: 4, maxQueued: 4 } } });
    const raw = await sim.raw();
    const pad = new Uint8Array(1000);
    for (let id = 1; id <= 200; id++) {
      raw.send(requestFrame({ id }, 'slow', { tag: id, ms: 60_000, pad }, 600_000));
      raw.send(bareFrame(FrameType.CANCEL, { id }));
      await sim.clock.runFor(2);
    }
    expect(sim.probe.aborted).toBe(200); // every handler honoured its abort
    expect(sim.server.stats().running).toBe(0);
    const bound = maxBytes + (4 + 4) * (ENTRY_OVERHEAD + 1100);
    expect(sim.server.stats().cacheBytes).toBeLessThanOrEqual(bound); // before the fix: ~230 KB
  });

  // Fixed bug (packages/core/src/recovery/reassembly.ts offer(), as it was then): a new
  // Reassembly was stored in byKey and charged its base cost (256 + 8 × count)
  // BEFORE its first fragment's cost is checked; when that fragment is then
  // refused (line 187), the message stays in the table with no idle timer
  // (set only at line 196), so it never expires. Its bytes and its
  // maxPeerMessages slot leak forever. Spread over a few source addresses the
  // leak fills maxTotalBytes and every fragmented request is refused from then
  // on, for every peer. The fix: a new message must afford its bookkeeping and
  // its first fragment before it is created at all.
  it('refused first fragments leak nothing: after the idle timeout a normal large call works again', async () => {
    const limits = { maxPeerBytes: 4000, maxTotalBytes: 30_000, idleTimeoutMs: 1000 };
    const sim = await start({ server: { reassembly: limits } });
    // A 400 KB message: (then) base 256 + 8 × 341 = 2984 bytes fit a peer's
    // 4000, base + first fragment (1192) did not. (Now its whole cost is
    // checked before anything is allocated.)
    for (let p = 0; p < 12; p++) (await sim.raw(`leak-${p}`)).send(firstFragment(1, 400_000));
    await sim.clock.runFor(60_000); // 60 idle timeouts
    expect(sim.server.stats().reassemblyBytes).toBe(0); // before the fix: 29840
    const { stub } = await sim.client();
    const [r] = await settleAll(sim.clock, [stub.upload({ tag: 1, data: new Uint8Array(2500) })]);
    expect(r).toMatchObject({ status: 'fulfilled', value: 2500 }); // before the fix: RESOURCE_EXHAUSTED, forever
  });
});
