// What fragmented requests can make a server hold (issue 11, items 2 and 4;
// issue 12, item 4): the bytes retained are the bytes charged, a message's
// whole cost is reserved when its first fragment is admitted, so admitted
// uploads always finish, and a refused new upload is told REJECTED (nothing
// ran, nothing was kept) and succeeds once there is room.
import { runInNewContext } from 'node:vm';
import { setFlagsFromString } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { Code, type PeerAddress } from '@udprpc/core';
import { decodeErrorBody, encodeBatch, encodeFrame, Flag, FrameType, type FrameHeader } from '@udprpc/core/wire';
import { ServerEngine } from '@udprpc/core/engine';
import { RpcError } from 'udprpc';
import { settleAll } from '@udprpc/testkit';
import { useHardSim } from './harness.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** What one partial message costs (protocol.md §7.4): 800 + one byte per fragment + the whole body. */
const costOf = (totalBytes: number, fragmentBytes: number): number => 800 + Math.ceil(totalBytes / fragmentBytes) + totalBytes;

const FRAG = 1176;

function fragment(id: number, index: number, totalBytes: number, fragmentBytes = FRAG, session = 0xf100d): Uint8Array {
  const header: FrameHeader = { type: FrameType.REQUEST, flags: 0, attempt: 0, session, id };
  const length = Math.min(fragmentBytes, totalBytes - index * fragmentBytes);
  return encodeFrame(header, new Uint8Array(length).fill(0xee), { totalBytes, index, fragmentBytes });
}

describe('11.2 fragments do not pin their datagrams', () => {
  it('a 1-byte fragment in a BATCH next to a 64 KB junk entry: no datagram stays reachable, and the bytes charged are the message costs', async () => {
    const sent: Uint8Array[] = [];
    const engine = new ServerEngine({ send: (bytes) => sent.push(bytes), hooks: { onCall: () => {} } });
    const refs: WeakRef<ArrayBufferLike>[] = [];
    const peers = 8;
    const perPeer = 16; // maxPeerMessages
    (() => {
      const junk = new Uint8Array(64_000).fill(0xaa);
      for (let p = 0; p < peers; p++) {
        const from: PeerAddress = { address: `10.0.0.${p}`, family: 'IPv4', port: 4000 };
        for (let id = 0; id < perPeer; id++) {
          const datagram = encodeBatch([fragment(id, 0, 2, 1), junk]);
          refs.push(new WeakRef(datagram.buffer));
          engine.receive(datagram, from, 0);
        }
      }
    })();
    // WeakRefs made in this job stay alive until it ends.
    await new Promise((resolve) => setImmediate(resolve));
    gc();
    const pinned = refs.reduce((n, ref) => n + (ref.deref()?.byteLength ?? 0), 0);
    expect(pinned).toBe(0); // fails before the fix: 128 datagrams × 64,021 bytes
    expect(engine.stats().reassemblyBytes).toBe(peers * perPeer * costOf(2, 1));
  });
});

describe('11.4 an admitted upload always finishes; a refused new one is told REJECTED', () => {
  const start = useHardSim();

  it('reserves the whole message at its first fragment; fragments of admitted messages are never refused; a new one that does not fit is refused with REJECTED', async () => {
    const total = 20_000;
    const cost = costOf(total, FRAG);
    const sim = await start({ server: { reassembly: { maxTotalBytes: 2 * cost, maxPeerBytes: 10 * cost } } });
    const a = await sim.raw('a');
    const b = await sim.raw('b');
    a.send(fragment(1, 0, total));
    b.send(fragment(2, 0, total));
    await sim.clock.runFor(5);
    expect(sim.server.stats()).toMatchObject({ reassemblyBytes: 2 * cost, reassemblyRefused: 0 });

    // A third message does not fit: refused before anything is kept, with REJECTED and the retry hint.
    const c = await sim.raw('c');
    c.send(fragment(3, 0, total));
    await sim.clock.runFor(5);
    expect(sim.server.stats()).toMatchObject({ reassemblyBytes: 2 * cost, reassemblyRefused: 1 });
    const refusal = c.received.find((f) => f.type === FrameType.ERROR)!;
    expect(refusal.flags & Flag.REJECTED).toBe(Flag.REJECTED); // issue 12.4: REJECTED, as §7.4 now says
    const body = decodeErrorBody(refusal.body);
    expect(body.ok && body.value).toMatchObject({ code: Code.RESOURCE_EXHAUSTED, retryAfterMs: 100 });

    // The admitted messages take every remaining fragment, and their calls run.
    const count = Math.ceil(total / FRAG);
    for (let i = 1; i < count; i++) {
      a.send(fragment(1, i, total));
      b.send(fragment(2, i, total));
    }
    await sim.clock.runFor(10);
    expect(sim.server.stats().reassemblyRefused).toBe(1); // fails before the fix: the table was full
    expect(sim.server.stats().reassemblyBytes).toBe(0);
    expect(sim.drops.filter((d) => d.reason === 'malformed')).toHaveLength(2); // the junk payloads are not msgpack for hard.*
  });

  it('message too large is refused without REJECTED (retrying cannot help)', async () => {
    const sim = await start({ server: { reassembly: { maxMessageBytes: 10_000 } } });
    const peer = await sim.raw();
    peer.send(fragment(1, 0, 20_000));
    await sim.clock.runFor(5);
    const refusal = peer.received.find((f) => f.type === FrameType.ERROR)!;
    expect(refusal.flags & Flag.REJECTED).toBe(0);
    const body = decodeErrorBody(refusal.body);
    expect(body.ok && body.value).toMatchObject({ code: Code.RESOURCE_EXHAUSTED, retryAfterMs: 0 });
    expect(sim.server.stats().reassemblyBytes).toBe(0);
  });

  it('N concurrent uploads above the budget: every one completes exactly once, the refused ones after a pushback; nothing is left held', async () => {
    const size = 300_000;
    const uploads = 8;
    // Room for two at a time; each client sends two at once.
    const cost = costOf(size + 100, FRAG);
    const sim = await start({ seed: 3, server: { reassembly: { maxTotalBytes: 2 * cost + 1000, maxPeerBytes: 2 * cost + 1000 } } });
    const clients = await Promise.all(Array.from({ length: uploads / 2 }, () => sim.client()));
    const calls = [];
    for (let i = 0; i < uploads; i++) {
      const data = new Uint8Array(size).fill(i + 1);
      calls.push(clients[i >> 1]!.stub.upload({ tag: i + 1, data }, { timeoutMs: 30_000 }));
    }
    const results = await settleAll(sim.clock, calls, { maxTimeMs: 60_000 });
    const codes = results.map((r) => (r.status === 'fulfilled' ? r.value : RpcError.is(r.reason) ? r.reason.code : String(r.reason)));
    expect(codes).toEqual(Array.from({ length: uploads }, () => size));
    for (let tag = 1; tag <= uploads; tag++) expect(sim.probe.of(tag)).toBe(1);
    expect(sim.server.stats().reassemblyRefused).toBeGreaterThan(0); // some had to wait
    const pushbacks = clients.reduce((n, c) => n + c.client.stats().pushbacks, 0);
    expect(pushbacks).toBeGreaterThan(0);
    await sim.clock.runFor(20_000);
    expect(sim.server.stats().reassemblyBytes).toBe(0);
    expect(sim.errors).toEqual([]);
  });

  it('a refused upload whose deadline leaves no room to wait fails with a typed RESOURCE_EXHAUSTED (remote, retryAfterMs), and a retry succeeds once room frees up', async () => {
    const size = 600_000;
    const cost = costOf(size + 100, FRAG);
    const sim = await start({ server: { reassembly: { maxTotalBytes: cost, maxPeerBytes: cost }, admission: { retryAfterMs: 5_000 } } });
    const { stub: first } = await sim.client();
    const { stub: second } = await sim.client();
    const slow = first.upload({ tag: 1, data: new Uint8Array(size) }, { timeoutMs: 30_000 });
    await sim.clock.runFor(3); // its first fragments are in
    const refused = second.upload({ tag: 2, data: new Uint8Array(size) }, { timeoutMs: 1000 });
    const [r1, r2] = await settleAll(sim.clock, [slow, refused], { maxTimeMs: 60_000 });
    expect(r1).toMatchObject({ status: 'fulfilled', value: size });
    expect(r2.status).toBe('rejected');
    const e = (r2 as PromiseRejectedResult).reason as RpcError;
    expect(RpcError.is(e) && { code: e.code, remote: e.remote, retryAfterMs: e.retryAfterMs }).toEqual({ code: 'RESOURCE_EXHAUSTED', remote: true, retryAfterMs: 5000 });
    expect(sim.probe.of(2)).toBe(0);
    const [again] = await settleAll(sim.clock, [second.upload({ tag: 2, data: new Uint8Array(size) }, { timeoutMs: 30_000 })], { maxTimeMs: 60_000 });
    expect(again).toMatchObject({ status: 'fulfilled', value: size });
    expect(sim.probe.of(2)).toBe(1);
  });
});
