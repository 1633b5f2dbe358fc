// The client's own loss/probe timer for requests in fragments (protocol.md
// §7.3 "Request timers", packages/core/src/client/request-transfer.ts and
// timed-transfer.ts). Before it, a request whose tail was lost (the last
// fragments of a burst, or the server's ack for them) stalled until the
// call's retransmission timer fired (RTO floor 30 ms, backing off) and the
// client resent a whole round with a new attempt number. Now the client
// probes about an RTT after its last send, and the call's timer never fires.
// Deterministic: fixed 1 ms links, chosen datagrams dropped.
import { afterEach, describe, expect, it } from 'vitest';
import { Flag, FrameType, type Frame } from '@udprpc/core/wire';
import { settleAll } from '@udprpc/testkit';
import { checksum, payload, startUploadRun } from '../properties/upload-harness.js';

/** Probes in a row without progress before a transfer gives up (MAX_PROBES in timed-transfer.ts). */
const MAX_PROBES = 5;
const BYTES = 100_000;

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

async function startUpload(seed: number, maxDatagramBytes = 1200) {
  const run = await startUploadRun({ seed, maxDatagramBytes });
  closers.push(run.close);
  return run;
}
type Run = Awaited<ReturnType<typeof startUpload>>;

const isRequestFragment = (f: Frame | undefined): f is Frame => f?.type === FrameType.REQUEST && f.fragment !== undefined;
const isRequestAck = (f: Frame | undefined): f is Frame => f?.type === FrameType.FRAGMENT_ACK && f.body[0] === FrameType.REQUEST;
const cumulativeOf = (f: Frame): number => new DataView(f.body.buffer, f.body.byteOffset).getUint32(1);

interface RequestSend {
  index: number;
  at: number;
  attempt: number;
  ackRequested: boolean;
  dropped: boolean;
}

/**
 * Records the request fragments the client sends (index, virtual time, attempt)
 * and drops those `drop` picks (`copy` 0 is the first transmission of that
 * index, `nth` counts every fragment sent). `count` is the request's fragment
 * count once its first fragment went out.
 */
function recordRequestSends(run: Run, drop: (index: number, count: number, copy: number, nth: number) => boolean = () => false) {
  const log = { sends: [] as RequestSend[], count: 0 };
  const copies = new Map<number, number>();
  run.clientTap.filter = (frame) => {
    if (!isRequestFragment(frame)) return true;
    const { index, totalBytes, fragmentBytes } = frame.fragment!;
    log.count = Math.ceil(totalBytes / fragmentBytes);
    const copy = copies.get(index) ?? 0;
    copies.set(index, copy + 1);
    const dropped = drop(index, log.count, copy, log.sends.length);
    log.sends.push({ index, at: run.clock.now(), attempt: frame.attempt, ackRequested: (frame.flags & Flag.ACK_REQUESTED) !== 0, dropped });
    return !dropped;
  };
  return log;
}

async function upload(run: Run, data: Uint8Array, options: { tag?: number; ms?: number; timeoutMs?: number } = {}) {
  const tag = options.tag ?? 1;
  const [r] = await settleAll(run.clock, [run.stub.upload({ tag, data, ms: options.ms ?? 0 }, { timeoutMs: options.timeoutMs ?? 5000 })]);
  if (r!.status === 'rejected') throw r.reason;
  expect(r!.value).toEqual({ tag, length: data.length, sum: checksum(data) });
  expect(run.runs.get(tag), 'handler runs').toBe(1);
}

const fragmentsAfter = (log: { sends: RequestSend[] }, n: number) => log.sends.slice(n).map((s) => ({ index: s.index, attempt: s.attempt, dropped: s.dropped }));

describe('a lost request tail is recovered by the client, by its transfer timer', () => {
  it('the last 3 fragments of a request are lost once: one probe, then the three; the call timer never fires', async () => {
    const run = await startUpload(1);
    const log = recordRequestSends(run, (index, count, copy) => index >= count - 3 && copy === 0);
    await upload(run, payload(BYTES, 1));
    const { sends, count } = log;
    expect(count).toBe(86);
    // Every fragment once, in order; then the probe, one PTO after the last
    // burst — the lowest fragment not yet acknowledged (count - 6: the server
    // acks every 8th fragment, so it had 80..82 without saying so), with
    // ACK_REQUESTED — and, once the probe's ack shows them missing, the three
    // lost ones. All with attempt 0: no retransmission round.
    expect(sends.slice(0, count).map((s) => s.index)).toEqual(Array.from({ length: count }, (_, i) => i));
    expect(fragmentsAfter(log, count)).toEqual([
      { index: count - 6, attempt: 0, dropped: false }, // the probe
      { index: count - 3, attempt: 0, dropped: false },
      { index: count - 2, attempt: 0, dropped: false },
      { index: count - 1, attempt: 0, dropped: false },
    ]);
    expect(sends[count]!.ackRequested).toBe(true);
    expect(sends.filter((s) => s.dropped).map((s) => s.index)).toEqual([count - 3, count - 2, count - 1]);
    // The probe left sooner than the call's timer could have fired (its RTO floor is 30 ms).
    expect(sends[count]!.at - sends[count - 1]!.at).toBeLessThan(30);
    const stats = run.client.stats();
    expect({ retransmits: stats.retransmits, requestProbes: stats.requestProbes, spent: stats.retryBudget.spent }).toEqual({ retransmits: 0, requestProbes: 1, spent: 0 });
  });

  it('the probe is lost too: a second one after twice the interval, still without the call timer', async () => {
    const run = await startUpload(2);
    const log = recordRequestSends(run, (index, count, copy, nth) => (index >= count - 3 && copy === 0) || nth === count);
    await upload(run, payload(BYTES, 2));
    const { sends, count } = log;
    expect(fragmentsAfter(log, count)).toEqual([
      { index: count - 6, attempt: 0, dropped: true }, // probe 1
      { index: count - 6, attempt: 0, dropped: false }, // probe 2
      { index: count - 3, attempt: 0, dropped: false },
      { index: count - 2, attempt: 0, dropped: false },
      { index: count - 1, attempt: 0, dropped: false },
    ]);
    const pto = sends[count]!.at - sends[count - 1]!.at;
    expect(sends[count + 1]!.at - sends[count]!.at).toBeCloseTo(2 * pto, 6);
    expect(run.client.stats()).toMatchObject({ retransmits: 0, requestProbes: 2 });
  });

  it('65 507-byte datagrams (a 2-fragment window): the last fragment is lost and the client probes with it', async () => {
    const run = await startUpload(4, 65_507);
    const log = recordRequestSends(run, (index, count, copy) => index === count - 1 && copy === 0);
    await upload(run, payload(300_000, 4));
    const { sends, count } = log;
    expect(count).toBe(5);
    // The probe is the lost fragment itself: nothing else was unacknowledged.
    expect(fragmentsAfter(log, count)).toEqual([{ index: count - 1, attempt: 0, dropped: false }]);
    expect(sends[count]!.at - sends[count - 1]!.at).toBeLessThan(30);
    expect(run.client.stats()).toMatchObject({ retransmits: 0, requestProbes: 1 });
  });
});

describe('how the request timer meets the call', () => {
  it('the final acknowledgement is lost while the handler runs: one probe, the server ACKs it, and the timer stops', async () => {
    const run = await startUpload(3);
    const log = recordRequestSends(run);
    let finalAcks = 0;
    run.serverTap.filter = (frame) => {
      // The ack that completes the request (cumulative = count, protocol.md §5.5): lost.
      if (!isRequestAck(frame) || cumulativeOf(frame) !== log.count) return true;
      finalAcks++;
      return false;
    };
    await upload(run, payload(BYTES, 3), { ms: 100 });
    expect(finalAcks).toBe(1);
    const { sends, count } = log;
    // The probe (attempt 0) is answered by an ACK: "I have it, in progress"
    // (§6.2). Everything after it is the call's own slow post-ACK probing
    // (§7.2): fragment 0, flagged, a new attempt each time, until the reply.
    expect(fragmentsAfter(log, count)[0]).toEqual({ index: count - 6, attempt: 0, dropped: false });
    const later = sends.slice(count + 1);
    expect(later.length).toBe(run.client.stats().retransmits);
    later.forEach((s, i) => expect(s).toMatchObject({ index: 0, attempt: i + 1, ackRequested: true }));
    expect(run.serverTap.sent.filter((f) => f.type === FrameType.ACK).map((f) => f.attempt)[0]).toBe(0);
    expect(run.client.stats().requestProbes).toBe(1);
  });

  it('a silent server: at most MAX_PROBES probes in all, no budget token spent on them, nothing after the deadline', async () => {
    const run = await startUpload(5);
    await upload(run, payload(2000, 5), { tag: 9 }); // a known peer: the probe timer starts from its SRTT
    const log = recordRequestSends(run);
    run.serverTap.filter = () => false;
    const [r] = await settleAll(run.clock, [run.stub.upload({ tag: 1, data: payload(BYTES, 5), ms: 0 }, { timeoutMs: 300 })]);
    expect(r!.status === 'rejected' && (r.reason as { code?: string }).code).toBe('DEADLINE_EXCEEDED');
    const stats = run.client.stats();
    // Probes between the call's retransmission rounds, never reset (no ack
    // ever made progress): 4 before the deadline, fewer than MAX_PROBES.
    expect(stats.requestProbes).toBe(4);
    expect(stats.requestProbes).toBeLessThanOrEqual(MAX_PROBES);
    // Every token went to a timer-driven retransmission round, none to a probe.
    expect(stats.retryBudget.spent).toBe(stats.retransmits);
    // Rounds have a new attempt each; probes carry the attempt of the round before them.
    const rounds = new Set(log.sends.map((s) => s.attempt));
    expect(rounds.size).toBe(stats.retransmits + 1);
    const sent = log.sends.length;
    await run.clock.runFor(20_000);
    expect(log.sends.length).toBe(sent);
    expect(run.clock.pendingTimers).toBe(0);
  });

  it('the deadline comes before the probe would: no probe, and the call ends on time', async () => {
    const run = await startUpload(6);
    const log = recordRequestSends(run, (index, count, copy) => index >= count - 3 && copy === 0);
    const [r] = await settleAll(run.clock, [run.stub.upload({ tag: 1, data: payload(BYTES, 6), ms: 0 }, { timeoutMs: 4 })]);
    expect(r!.status === 'rejected' && (r.reason as { code?: string }).code).toBe('DEADLINE_EXCEEDED');
    await run.clock.runFor(1000);
    expect(log.sends.length).toBe(log.count);
    expect(run.client.stats().requestProbes).toBe(0);
    expect(run.clientTap.count(FrameType.CANCEL)).toBe(1);
  });

  it('a cancelled call stops its transfer timer: the CANCEL is the last thing sent', async () => {
    const run = await startUpload(7);
    const log = recordRequestSends(run, (index, count, copy) => index >= count - 3 && copy === 0);
    const abort = new AbortController();
    run.clock.setTimer(3, () => abort.abort());
    const [r] = await settleAll(run.clock, [run.stub.upload({ tag: 1, data: payload(BYTES, 7), ms: 0 }, { timeoutMs: 5000, signal: abort.signal })]);
    expect(r!.status === 'rejected' && (r.reason as { code?: string }).code).toBe('CANCELLED');
    await run.clock.runFor(1000);
    expect(log.sends.length).toBe(log.count);
    expect(run.client.stats().requestProbes).toBe(0);
    expect(run.clientTap.sent.at(-1)?.type).toBe(FrameType.CANCEL);
  });
});
