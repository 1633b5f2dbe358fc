// The server's own loss/probe timer for replies in fragments (protocol.md
// §7.3 "Reply timers", packages/core/src/server/reply-transfer.ts). Before it, a
// reply whose tail was lost (the last fragments of a burst, or the ack that
// answers them) stalled until the client's retransmission timer fired (RTO
// floor 30 ms, backing off) and the client sent a STALLED FRAGMENT_ACK. Now
// the server probes about an RTT after its last send, and the client never
// has to ask. Deterministic: fixed 1 ms links, chosen datagrams dropped.
import { describe, expect, it } from 'vitest';
import { Flag, FrameType, type Frame } from '@udprpc/core/wire';
import { defaultDedupPolicy } from '@udprpc/core/engine';
import { settleAll } from '@udprpc/testkit';
import { payload, sameBytes, startSimRun, type SimRun } from '../properties/sim-harness.js';
import { useHardSim, requestFrame } from '../hardening/harness.js';

/** Probes in a row without progress before the server gives up (MAX_PROBES in reply-transfer.ts). */
const MAX_PROBES = 5;
const link = { delayMs: 1 };
const BYTES = 100_000;

const isReplyFragment = (f: Frame | undefined): f is Frame => f?.type === FrameType.RESPONSE && f.fragment !== undefined;
const isStalled = (f: Frame): boolean => f.type === FrameType.FRAGMENT_ACK && (f.flags & Flag.ACK_REQUESTED) !== 0;

interface ReplySend {
  index: number;
  at: number;
  dropped: boolean;
}

/**
 * Records the reply fragments the server sends (index, virtual time) and drops
 * those `drop` picks (`copy` 0 is the first transmission of that index).
 * `count` is the reply's fragment count once its first fragment went out.
 */
function recordReplySends(run: SimRun, drop: (index: number, count: number, copy: number, nth: number) => boolean) {
  const log = { sends: [] as ReplySend[], count: 0 };
  const copies = new Map<number, number>();
  run.serverTap.filter = (frame) => {
    if (!isReplyFragment(frame)) return true;
    const { index, totalBytes, fragmentBytes } = frame.fragment!;
    log.count = Math.ceil(totalBytes / fragmentBytes);
    const copy = copies.get(index) ?? 0;
    copies.set(index, copy + 1);
    const dropped = drop(index, log.count, copy, log.sends.length);
    log.sends.push({ index, at: run.clock.now(), dropped });
    return !dropped;
  };
  return log;
}

async function echo(run: SimRun, data: Uint8Array, timeoutMs = 5000) {
  const startAt = run.clock.now();
  const [r] = await settleAll(run.clock, [run.stub.blob({ tag: 1, data }, { timeoutMs })]);
  if (r!.status === 'rejected') throw r.reason;
  expect(r!.value.tag).toBe(1);
  expect(sameBytes(r!.value.data, data), 'the echoed bytes').toBe(true);
  expect(run.executions.of(1)).toBe(1);
  return { ms: run.clock.now() - startAt };
}

describe('a lost reply tail is recovered by the server, not the client', () => {
  it('the last 3 fragments of a reply are lost once: one probe, then the three, and the client never asks', async () => {
    const run = await startSimRun({ seed: 1, up: link, down: link });
    const log = recordReplySends(run, (index, count, copy) => index >= count - 3 && copy === 0);
    await echo(run, payload(BYTES, 1));
    const { sends, count } = log;
    expect(count).toBe(86);
    // Every fragment once, then: the probe, one PTO after the last burst — the
    // lowest fragment not yet acknowledged (count - 6: the client acks every
    // 8th fragment, so it had 80..82 without saying so) — and, once the
    // probe's ack shows them missing, the three lost ones.
    expect(sends.slice(0, count).map((s) => s.index)).toEqual(Array.from({ length: count }, (_, i) => i));
    expect(sends.slice(count).map((s) => s.index)).toEqual([count - 6, count - 3, count - 2, count - 1]);
    expect(sends.filter((s) => s.dropped).map((s) => s.index)).toEqual([count - 3, count - 2, count - 1]);
    // The client retransmitted nothing: no REQUEST fragment twice, no STALLED ack, no timer-driven send at all.
    const requests = run.clientTap.sent.filter((f) => f.type === FrameType.REQUEST);
    expect(new Set(requests.map((f) => f.fragment?.index)).size).toBe(requests.length);
    expect(run.clientTap.sent.filter(isStalled)).toEqual([]);
    expect(run.client.stats().retransmits).toBe(0);
    // The probe left sooner than the client's timer could have asked (its RTO floor is 30 ms).
    expect(sends[count]!.at - sends[count - 1]!.at).toBeLessThan(30);
    expect(run.serverErrors).toEqual([]);
  });

  it('the probe is lost too: a second one after twice the interval, still without the client', async () => {
    const run = await startSimRun({ seed: 2, up: link, down: link });
    const log = recordReplySends(run, (index, count, copy, nth) => (index >= count - 3 && copy === 0) || nth === count);
    await echo(run, payload(BYTES, 2));
    const { sends, count } = log;
    expect(sends.slice(count).map((s) => ({ index: s.index, dropped: s.dropped }))).toEqual([
      { index: count - 6, dropped: true }, // probe 1
      { index: count - 6, dropped: false }, // probe 2
      { index: count - 3, dropped: false },
      { index: count - 2, dropped: false },
      { index: count - 1, dropped: false },
    ]);
    const pto = sends[count]!.at - sends[count - 1]!.at;
    expect(sends[count + 1]!.at - sends[count]!.at).toBeCloseTo(2 * pto, 6);
    expect(run.clientTap.sent.filter(isStalled)).toEqual([]);
    expect(run.client.stats().retransmits).toBe(0);
  });

  it('the final acknowledgement is lost: 5 probes, backing off, then silence; no timer is left', async () => {
    const run = await startSimRun({ seed: 3, up: link, down: link });
    const log = recordReplySends(run, () => false);
    let finalAcks = 0;
    run.clientTap.filter = (frame) => {
      if (frame?.type !== FrameType.FRAGMENT_ACK || frame.body[0] !== FrameType.RESPONSE) return true;
      // The ack that completes the reply (cumulative = count, protocol.md §5.5): lost.
      const cumulative = new DataView(frame.body.buffer, frame.body.byteOffset).getUint32(1);
      if (cumulative !== log.count) return true;
      finalAcks++;
      return false;
    };
    await echo(run, payload(BYTES, 3));
    expect(finalAcks).toBe(1);
    const { sends, count } = log;
    expect(sends.length).toBe(count);
    await run.clock.runFor(4000);
    // Exactly MAX_PROBES probes, each interval twice the one before (up to the 1 s cap).
    const probes = sends.slice(count);
    expect(probes.length).toBe(MAX_PROBES);
    const gaps = probes.map((p, i) => p.at - (i === 0 ? sends[count - 1]!.at : probes[i - 1]!.at));
    for (let i = 1; i < gaps.length; i++) expect(gaps[i]).toBeCloseTo(Math.min(1000, 2 * gaps[i - 1]!), 6);
    // The client, done with the call, dropped each one.
    expect(run.client.stats().drops['unknown-call']).toBe(MAX_PROBES);
    // Once the entry expires, nothing of the call is left, timers included.
    await run.clock.runFor(5000 + defaultDedupPolicy.graceMs);
    expect(sends.length).toBe(count + MAX_PROBES);
    expect(run.server.stats()).toMatchObject({ cacheEntries: 0, cacheBytes: 0 });
    expect(run.clock.pendingTimers).toBe(0);
  });

  it('65 507-byte datagrams (a 2-fragment window): the last fragment is lost and the server recovers it', async () => {
    const big = { maxDatagramBytes: 65_507 };
    const run = await startSimRun({ seed: 4, up: link, down: link, server: big, client: big });
    const log = recordReplySends(run, (index, count, copy) => index === count - 1 && copy === 0);
    await echo(run, payload(300_000, 4));
    const { sends, count } = log;
    expect(count).toBe(5);
    // The probe is the lost fragment itself: nothing else was unacknowledged.
    expect(sends.slice(count).map((s) => s.index)).toEqual([count - 1]);
    expect(run.clientTap.sent.filter(isStalled)).toEqual([]);
    expect(run.client.stats().retransmits).toBe(0);
  });
});

describe('the reply timer respects anti-amplification', () => {
  const start = useHardSim();

  it('to a spoofed source whose 3× budget is spent, the reply timer sends nothing and tries nothing', async () => {
    const sim = await start({ server: { coalesce: false } });
    const victim = await sim.raw('victim');
    // 50 small calls earn a few KB of credit (3× what they sent, less their
    // replies): room for a few fragments of the 20 KB reply, not all of it.
    for (let id = 1; id <= 50; id++) victim.send(requestFrame({ id }, 'add', { a: id, b: 1 }));
    await sim.clock.runFor(10);
    victim.send(requestFrame({ id: 51 }, 'big', { tag: 51, bytes: 20_000 }));
    await sim.clock.runFor(10); // the handler ran, the first window went out as far as the budget allowed
    const afterFirstWindow = { bytes: victim.bytesReceived, blocked: sim.server.stats().amplificationBlocked };
    expect(afterFirstWindow.blocked).toBeGreaterThan(0);
    await sim.clock.runFor(10_000);
    expect(victim.bytesReceived).toBeLessThanOrEqual(3 * victim.bytesSent);
    // Nothing more, not even a send the limit blocks:
    // no probe is armed while the limit would block it (RFC 9002 §6.2.2.1).
    expect({ bytes: victim.bytesReceived, blocked: sim.server.stats().amplificationBlocked }).toEqual(afterFirstWindow);
    expect(victim.received.some((f) => f.type === FrameType.RESPONSE && f.fragment !== undefined)).toBe(true);
    expect(sim.errors).toEqual([]);
  });
});
