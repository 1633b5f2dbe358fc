// Anti-amplification (issue 6, protocol.md §8.2–8.3): until a source address
// is validated, the server sends it at most 3× the bytes it received from it.
// A reply that does not fit is held; the server sends a VALIDATE frame (type 9)
// with an HMAC token instead, the client echoes it in VALIDATE_ECHO (type 10),
// and the server then marks the address validated and sends the reply.
// Bytes are counted by a wrapper transport at the server's socket.
import { describe, expect, it } from 'vitest';
import { type PeerAddress } from '@udprpc/core';
import { encodeBatch, FrameType, HEADER_BYTES } from '@udprpc/core/wire';
import { settleAll } from '@udprpc/testkit';
import { bareFrame, requestFrame, useHardSim, type HardSim } from './harness.js';

const start = useHardSim();
const BIG = 20_000;
/**
 * The byte-exact checks run with coalescing off: with it on, the BATCH framing
 * is added after the engine's 3× check and the limit is exceeded (see the
 * known bug at the end of this file).
 */
const EXACT = { coalesce: false } as const;

describe('anti-amplification', () => {
  it('holds a 20 KB reply to an unvalidated client to 3× its bytes, validates once, then delivers', async () => {
    const sim = await start({ server: EXACT });
    const { client, stub, ep } = await sim.client();
    const [r] = await settleAll(sim.clock, [stub.big({ tag: 7, bytes: BIG })], { maxTimeMs: 10_000 });
    expect(r.status === 'fulfilled' && r.value.length).toBe(BIG);
    expect(r.status === 'fulfilled' && r.value.every((b) => b === 7)).toBe(true);
    const t = sim.meter.traffic(ep.address);
    expect(t.echoedToken).toBe(true);
    expect(t.worstRatioBeforeValidation).toBeGreaterThan(0);
    expect(t.worstRatioBeforeValidation).toBeLessThanOrEqual(3);
    expect(t.bytesOut).toBeGreaterThan(BIG); // after validation the limit is gone
    const stats = sim.server.stats();
    expect(stats.validations).toBe(1);
    expect(stats.amplificationBlocked).toBeGreaterThanOrEqual(1);
    expect(sim.meter.sentOf(FrameType.VALIDATE).length).toBeGreaterThanOrEqual(1);
    expect(client.stats().validations).toBeGreaterThanOrEqual(1);
    expect(sim.probe.of(7)).toBe(1);
    expect(sim.errors).toEqual([]);
  });

  it('later calls from the validated client pay no further validation', async () => {
    const sim = await start();
    const { stub } = await sim.client();
    await settleAll(sim.clock, [stub.big({ tag: 1, bytes: BIG })]);
    const blocked = sim.server.stats().amplificationBlocked;
    const challenges = sim.meter.sentOf(FrameType.VALIDATE).length;
    const results = await settleAll(sim.clock, [2, 3, 4].map((tag) => stub.big({ tag, bytes: BIG })));
    expect(results.map((r) => r.status === 'fulfilled' && r.value.length)).toEqual([BIG, BIG, BIG]);
    expect(sim.server.stats()).toMatchObject({ validations: 1, amplificationBlocked: blocked });
    expect(sim.meter.sentOf(FrameType.VALIDATE).length).toBe(challenges);
  });

  it('a spoofed source that never echoes receives at most 3× the bytes sent in its name', async () => {
    const sim = await start({ server: EXACT });
    const victim = await sim.raw('victim');
    // The "attacker" sends big requests with the victim's address; the victim
    // never echoes. Retransmissions of each request add a little credit each.
    for (let id = 1; id <= 5; id++) {
      for (let attempt = 0; attempt < 4; attempt++) {
        victim.send(requestFrame({ id, attempt }, 'big', { tag: id, bytes: BIG }));
        await sim.clock.runFor(50);
      }
    }
    await sim.clock.runFor(1000);
    const t = sim.meter.traffic(victim.address);
    expect(t.bytesIn).toBe(victim.bytesSent);
    expect(t.bytesOut).toBe(victim.bytesReceived);
    expect(victim.bytesReceived).toBeGreaterThan(0);
    expect(victim.bytesReceived).toBeLessThanOrEqual(3 * victim.bytesSent);
    expect(victim.received.some((f) => f.type === FrameType.VALIDATE)).toBe(true);
    // Reply fragments may go out too, as far as the 3× credit reaches: the
    // limit is on bytes, not on frame types.
    expect(sim.server.stats().validations).toBe(0);
    expect(sim.server.stats().amplificationBlocked).toBeGreaterThan(0);
  });

  it('small replies (add) trigger no validation at all', async () => {
    const sim = await start();
    const { client, stub } = await sim.client();
    const results = await settleAll(sim.clock, Array.from({ length: 20 }, (_, i) => stub.add({ a: i, b: 1000 })));
    expect(results.map((r) => r.status === 'fulfilled' && r.value)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1000));
    expect(sim.server.stats()).toMatchObject({ validations: 0, amplificationBlocked: 0 });
    expect(sim.meter.sentOf(FrameType.VALIDATE)).toEqual([]);
    expect(client.stats().validations).toBe(0);
  });

  it("drops a forged, expired or misaddressed VALIDATE_ECHO as 'bad-token'", async () => {
    const sim = await start();
    const peer = await sim.raw('peer');
    const other = await sim.raw('other');
    // Forged: random bytes of the right length, and of a wrong length.
    peer.send(bareFrame(FrameType.VALIDATE_ECHO, { id: 1 }, new Uint8Array(20).fill(0x5a)));
    peer.send(bareFrame(FrameType.VALIDATE_ECHO, { id: 1 }, new Uint8Array(3)));
    await sim.clock.runFor(10);
    expect(sim.server.stats().drops['bad-token']).toBe(2);

    // A genuine token, obtained by asking for a big reply.
    peer.send(requestFrame({ id: 2 }, 'big', { tag: 2, bytes: BIG }, 120_000));
    await sim.clock.runFor(10);
    const challenge = peer.received.find((f) => f.type === FrameType.VALIDATE);
    expect(challenge).toBeDefined();
    const echo = bareFrame(FrameType.VALIDATE_ECHO, { id: 2 }, challenge!.body);
    // Echoed from another address: the token is bound to the one it was sent to.
    other.send(echo);
    await sim.clock.runFor(10);
    expect(sim.server.stats().drops['bad-token']).toBe(3);
    // A tampered copy.
    const tampered = challenge!.body.slice();
    tampered[tampered.length - 1]! ^= 1;
    peer.send(bareFrame(FrameType.VALIDATE_ECHO, { id: 2 }, tampered));
    await sim.clock.runFor(10);
    expect(sim.server.stats().drops['bad-token']).toBe(4);
    // Expired: echoed more than 30 s after it was minted.
    await sim.clock.runFor(31_000);
    peer.send(echo);
    await sim.clock.runFor(10);
    expect(sim.server.stats().drops['bad-token']).toBe(5);
    expect(sim.server.stats().validations).toBe(0);
    const t = sim.meter.traffic(peer.address);
    expect(t.bytesOut).toBeLessThanOrEqual(3 * t.bytesIn);
  });

  it('a genuine echo from the right address validates it and releases the held reply', async () => {
    const sim = await start();
    const peer = await sim.raw('peer');
    peer.send(requestFrame({ id: 9 }, 'big', { tag: 9, bytes: 3000 }));
    await sim.clock.runFor(10);
    const challenge = peer.received.find((f) => f.type === FrameType.VALIDATE)!;
    expect(challenge).toMatchObject({ session: 0xabcdef, id: 9 });
    peer.send(bareFrame(FrameType.VALIDATE_ECHO, { id: 9 }, challenge.body));
    await sim.clock.runFor(10);
    expect(sim.server.stats()).toMatchObject({ validations: 1 });
    expect(peer.received.filter((f) => f.type === FrameType.RESPONSE && f.id === 9).length).toBeGreaterThan(0);
  });

  it('antiAmplification: false turns it off', async () => {
    const sim = await start({ server: { antiAmplification: false } });
    const { client, stub, ep } = await sim.client();
    const [r] = await settleAll(sim.clock, [stub.big({ tag: 1, bytes: BIG })]);
    expect(r.status === 'fulfilled' && r.value.length).toBe(BIG);
    expect(sim.server.stats()).toMatchObject({ validations: 0, amplificationBlocked: 0 });
    expect(sim.meter.sentOf(FrameType.VALIDATE)).toEqual([]);
    expect(client.stats().validations).toBe(0);
    const t = sim.meter.traffic(ep.address);
    expect(t.bytesOut).toBeGreaterThan(3 * t.bytesIn);
  });
});

describe('regressions (found by these tests, fixed)', () => {
  // Fixed bug (packages/core/src/transport/coalescer.ts sendAll() / then server-engine.ts
  // transmit(); since commit edf95a2, coalescing on by default): the engine
  // charged each FRAME against the 3× budget, then the coalescer packs the
  // frames into a BATCH datagram that adds a 14-byte header and a 2-byte
  // length per frame. Bytes on the wire to an unvalidated address exceed 3×
  // what it sent: one 46-byte request yields four 34-byte VALIDATE frames
  // (136 ≤ 138 charged) sent as one 158-byte batch (3.43×). The fix:
  // SourceTable.allowSend charges every frame its size plus a batch header and
  // a length prefix (16 bytes; packages/core/test/amplification.test.ts).
  it('with coalescing on (the default), bytes on the wire to an unvalidated source stay within 3×', async () => {
    const sim = await start();
    const victim = await sim.raw('victim');
    for (let id = 1; id <= 5; id++) {
      for (let attempt = 0; attempt < 4; attempt++) {
        victim.send(requestFrame({ id, attempt }, 'big', { tag: id, bytes: BIG }));
        await sim.clock.runFor(50);
      }
    }
    expect(victim.received.length).toBeGreaterThan(0);
    expect(victim.bytesReceived).toBeLessThanOrEqual(3 * victim.bytesSent); // before the fix: 3196 > 2760
  });

  // Fixed bug (then in server-engine.ts transmit() and onValidateEcho(); that code
  // now lives in amplification-gate.ts and reply-sender.ts): every fragment of a held reply that the
  // limit blocked sent its own VALIDATE while the 3× budget lasts (4 for one
  // 46-byte request), the client echoes each one, and EVERY echo calls
  // resendReply(), whose transfer.onTimeout() marks all fragments lost and
  // sends the whole reply again. A 20 KB reply thus costs ~80 KB (72 fragment
  // sends for 18 fragments). The fix: at most one challenge per datagram
  // received (SourceState.mayChallenge), and a resend skips fragments sent
  // within the last RESEND_MIN_AGE_MS (reply-sender.ts).
  it('a held reply is sent about once after validation, not once per echo', async () => {
    const sim = await start({ server: EXACT });
    const { stub } = await sim.client();
    const [r] = await settleAll(sim.clock, [stub.big({ tag: 1, bytes: BIG })]);
    expect(r.status).toBe('fulfilled');
    await sim.clock.runFor(1000); // let every datagram already sent arrive
    const fragments = Math.ceil(BIG / 1176);
    expect(sim.meter.sentOf(FrameType.RESPONSE).length).toBeLessThanOrEqual(Math.ceil(1.5 * fragments)); // before the fix: 72
    expect(sim.meter.sentOf(FrameType.VALIDATE).length).toBeLessThanOrEqual(1); // before the fix: 4
  });
});

// Issue 11.5: a validation used to last as long as the server remembered the
// source, for every session: a spoofer could then aim unlimited replies at
// any former client (2509×, 1735× in one BATCH). Validation now holds only
// for the echo's session and for 30 s (protocol.md §8.2). Exact arithmetic:
// every frame the server sends to an address outside a validated session is
// charged its length + 16 (the BATCH framing it may get), and the charges
// stay within 3× the bytes received from that address since the validation.
describe('validation is bound to the session and to time (issue 11.5)', () => {
  /** Bytes on the wire and bytes charged (frame length + 16 each) the server sent to `to` since `from` frames. */
  function sentSince(sim: HardSim, to: PeerAddress, from: number): { wire: number; charged: number; frames: number } {
    const frames = sim.meter.sent.slice(from).filter((s) => s.to.address === to.address && s.to.port === to.port);
    const charged = frames.reduce((n, s) => n + HEADER_BYTES + (s.frame.fragment === undefined ? 0 : 10) + s.frame.body.length + 16, 0);
    return { wire: sim.meter.traffic(to).bytesOut, charged, frames: frames.length };
  }

  async function validatedClient(sim: HardSim) {
    const c = await sim.client();
    const [r] = await settleAll(sim.clock, [c.stub.big({ tag: 1, bytes: BIG })]);
    expect(r.status === 'fulfilled' && r.value.length).toBe(BIG);
    expect(sim.server.stats().validations).toBe(1);
    const session = sim.meter.received.find((r) => r.frame.type === FrameType.REQUEST)!.frame.session;
    return { ...c, session };
  }

  it('a spoofer forging requests (another session, one by one and in a BATCH) from a validated address gets at most 3× its bytes', async () => {
    const sim = await start();
    const { ep } = await validatedClient(sim);
    await sim.clock.runFor(1000);
    const outBefore = sim.meter.traffic(ep.address).bytesOut;
    const mark = sim.meter.sent.length;
    let spoofed = 0;
    const spoof = (bytes: Uint8Array) => {
      spoofed += bytes.length;
      ep.send(bytes, sim.address);
    };
    for (let id = 1; id <= 20; id++) spoof(requestFrame({ id, session: 0x5eed }, 'big', { tag: 100 + id, bytes: BIG }));
    spoof(encodeBatch(Array.from({ length: 40 }, (_, i) => requestFrame({ id: 100 + i, session: 0x5eed }, 'big', { tag: 200 + i, bytes: BIG }))));
    await sim.clock.runFor(2000);
    const { wire, charged, frames } = sentSince(sim, ep.address, mark);
    expect(frames).toBeGreaterThan(0);
    expect(wire - outBefore).toBeLessThanOrEqual(charged);
    expect(charged).toBeLessThanOrEqual(3 * spoofed); // was 2509× / 1735×
    expect(sim.server.stats().validations).toBe(1);
  });

  it('replaying the validated session after the 30 s validation lifetime gets at most 3× too; the genuine client pays one more round trip', async () => {
    const sim = await start();
    const { ep, stub, session } = await validatedClient(sim);
    await sim.clock.runFor(30_000);
    const outBefore = sim.meter.traffic(ep.address).bytesOut;
    const mark = sim.meter.sent.length;
    let spoofed = 0;
    for (let id = 1; id <= 20; id++) {
      const bytes = requestFrame({ id: 0x7000_0000 + id, session }, 'big', { tag: 300 + id, bytes: BIG });
      spoofed += bytes.length;
      ep.send(bytes, sim.address);
    }
    await sim.clock.runFor(2000);
    const { wire, charged } = sentSince(sim, ep.address, mark);
    expect(wire - outBefore).toBeLessThanOrEqual(charged);
    expect(charged).toBeLessThanOrEqual(3 * spoofed);
    // The genuine client still gets its large replies, after one more VALIDATE round trip.
    const challenges = sim.meter.sentOf(FrameType.VALIDATE).length;
    const [r] = await settleAll(sim.clock, [stub.big({ tag: 2, bytes: BIG })]);
    expect(r.status === 'fulfilled' && r.value.length).toBe(BIG);
    expect(sim.server.stats().validations).toBe(2);
    expect(sim.meter.sentOf(FrameType.VALIDATE).length).toBeGreaterThan(challenges);
  });

  it('within the lifetime the validated session itself has no limit (one round trip per 30 s, not per call)', async () => {
    const sim = await start();
    const { stub } = await validatedClient(sim);
    await sim.clock.runFor(20_000);
    const results = await settleAll(sim.clock, [2, 3].map((tag) => stub.big({ tag, bytes: BIG })));
    expect(results.map((r) => r.status === 'fulfilled' && r.value.length)).toEqual([BIG, BIG]);
    expect(sim.server.stats().validations).toBe(1);
  });
});
