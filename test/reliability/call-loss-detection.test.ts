// Early loss detection for calls (protocol.md §7.2, after RFC 9002 §6.1): a
// call whose latest transmission is unanswered while calls sent after it to
// the same server are answered is lost after 3 such answers (packet
// threshold), or 9/8·max(smoothed RTT, latest RTT) after that transmission
// with at least one (time threshold), and is retransmitted at once instead
// of waiting for its RTO. Before it, a lost call waited for its RTO (30 ms
// at least) while the rest of the window completed.
//
// Every scenario runs the real client and server on a SimNetwork with fixed
// one-way delays and a VirtualClock, so the expected times are exact.
import { describe, expect, it } from 'vitest';
import { FrameType, type Frame } from '@udprpc/core/wire';
import { settleAll } from '@udprpc/testkit';
import { record, startSimRun, type CallRecord, type SimRun } from '../properties/sim-harness.js';

/** A REQUEST the client sent, and when (virtual ms). */
interface Sent {
  readonly at: number;
  readonly id: number;
  readonly attempt: number;
}

/**
 * Logs every REQUEST the client sends, with its time, and drops the copies
 * `drop` picks (`n` counts REQUESTs from 0, in sending order).
 */
function logRequests(run: SimRun, drop: (n: number, frame: Frame) => boolean = () => false): Sent[] {
  const sent: Sent[] = [];
  run.clientTap.filter = (frame) => {
    if (frame?.type !== FrameType.REQUEST) return true;
    sent.push({ at: run.clock.now(), id: frame.id, attempt: frame.attempt });
    return !drop(sent.length - 1, frame);
  };
  return sent;
}

/** Links with a fixed one-way delay of `ms` both ways. */
function setDelay(run: SimRun, ms: number): void {
  run.net.setLinkBoth(run.clientEp, run.serverEp, { delayMs: ms });
}

/** One quick call, so the peer has an RTT sample of 2·`oneWayMs` (its first: srtt = latest = that). */
async function prime(run: SimRun, oneWayMs: number): Promise<void> {
  setDelay(run, oneWayMs);
  await settleAll(run.clock, [run.stub.add({ tag: 99, a: 0, b: 0, delayMs: 0 })]);
  expect(run.client.timing()?.srttMs).toBe(2 * oneWayMs);
}

/** Starts `add` for `tag` `atMs` after now (its own datagram: each start is its own job). */
function addAt(run: SimRun, atMs: number, tag: number, delayMs = 0): Promise<CallRecord> {
  return new Promise((resolve) => {
    run.clock.setTimer(atMs, () => void record(run.clock, tag, 5000, () => run.stub.add({ tag, a: tag, b: 1, delayMs })).done.then(resolve));
  });
}

const copiesOf = (sent: Sent[], id: number) => sent.filter((s) => s.id === id);

describe('early loss detection for calls (protocol.md §7.2)', () => {
  it('packet threshold: the first of 4 calls is lost; it is retransmitted exactly when the 3rd later-sent call is answered, not at its RTO', async () => {
    const run = await startSimRun({ seed: 1 });
    // srtt 20 ms, so the time threshold (~20 ms) and the RTO (>= 48 ms) both lie far beyond the 3rd answer.
    await prime(run, 10);
    setDelay(run, 1);
    const sent = logRequests(run, (n) => n === 0);
    const t0 = run.clock.now();
    const calls = [addAt(run, 0, 1), addAt(run, 1, 2), addAt(run, 2, 3), addAt(run, 3, 4)];
    const records = (await settleAll(run.clock, calls)).map((r) => (r.status === 'fulfilled' ? r.value : undefined));
    const lostId = sent[0]!.id;
    // Calls 2–4 leave at t0+1, +2, +3 and are answered at t0+3, +4, +5.
    expect(copiesOf(sent, lostId)).toEqual([
      { at: t0, id: lostId, attempt: 0 },
      { at: t0 + 5, id: lostId, attempt: 1 },
    ]);
    expect(records.map((r) => [r?.tag, r?.settledAt, r?.settleCount, r?.value])).toEqual([
      [1, t0 + 7, 1, { tag: 1, sum: 2 }],
      [2, t0 + 3, 1, { tag: 2, sum: 3 }],
      [3, t0 + 4, 1, { tag: 3, sum: 4 }],
      [4, t0 + 5, 1, { tag: 4, sum: 5 }],
    ]);
    expect(run.client.stats()).toMatchObject({ retransmits: 1, lossRetransmits: 1, retryBudget: { spent: 1 } });
    expect(run.executions.of(1)).toBe(1);
  });

  it('time threshold: with one later call answered, the lost call is retransmitted at lastSent + 9/8·max(srtt, latest RTT)', async () => {
    for (const variant of ['srtt', 'latest'] as const) {
      const run = await startSimRun({ seed: 2 });
      // 'srtt': srtt 20 then a 2 ms sample; 'latest': srtt 2 then a 20 ms sample.
      await prime(run, variant === 'srtt' ? 10 : 1);
      const sent = logRequests(run, (n) => n === 0);
      const t0 = run.clock.now();
      setDelay(run, variant === 'srtt' ? 1 : 10);
      const first = addAt(run, 0, 1);
      const second = addAt(run, 1, 2);
      const records = (await settleAll(run.clock, [first, second])).map((r) => (r.status === 'fulfilled' ? r.value : undefined));
      const lostId = sent[0]!.id;
      // Call 2 leaves at t0+1 and is answered at t0+3 ('srtt') or t0+21 ('latest').
      const [srtt, latest] = variant === 'srtt' ? [(7 / 8) * 20 + (1 / 8) * 2, 2] : [(7 / 8) * 2 + (1 / 8) * 20, 20];
      const lossAt = t0 + (9 / 8) * Math.max(srtt, latest);
      // Then the retransmission's reply adds one more sample, of latest.
      expect(run.client.timing()?.srttMs, variant).toBe((7 / 8) * srtt + (1 / 8) * latest);
      expect(lossAt, variant).toBe(variant === 'srtt' ? t0 + 19.96875 : t0 + 22.5);
      expect(copiesOf(sent, lostId), variant).toEqual([
        { at: t0, id: lostId, attempt: 0 },
        { at: lossAt, id: lostId, attempt: 1 },
      ]);
      expect(records[0]?.settledAt, variant).toBe(lossAt + (variant === 'srtt' ? 2 : 20));
      expect(records.map((r) => r?.settleCount), variant).toEqual([1, 1]);
      expect(run.client.stats(), variant).toMatchObject({ retransmits: 1, lossRetransmits: 1 });
    }
  });

  it('a lost BATCH loses several calls at once: all are detected, and resent together when the 3rd later call is answered', async () => {
    const run = await startSimRun({ seed: 5 });
    await prime(run, 10);
    setDelay(run, 1);
    // Datagrams (and the REQUESTs in each) with their time; the first datagram after this is lost whole.
    const datagrams: { at: number; requests: { id: number; attempt: number }[] }[] = [];
    const send = run.clientTap.send.bind(run.clientTap);
    run.clientTap.send = (bytes, to) => {
      const before = run.clientTap.sent.length;
      send(bytes, to);
      const requests = run.clientTap.sent.slice(before).filter((f) => f.type === FrameType.REQUEST);
      if (requests.length > 0) datagrams.push({ at: run.clock.now(), requests: requests.map((f) => ({ id: f.id, attempt: f.attempt })) });
    };
    let dropped = false;
    run.clientTap.filter = (frame) => !(frame?.type === FrameType.REQUEST && !dropped && (dropped = true));
    const t0 = run.clock.now();
    const inBatch = (atMs: number, tags: number[]) =>
      new Promise<CallRecord[]>((resolve) => {
        run.clock.setTimer(atMs, () => {
          const started = tags.map((tag) => record(run.clock, tag, 5000, () => run.stub.add({ tag, a: tag, b: 1, delayMs: 0 })).done);
          void Promise.all(started).then(resolve);
        });
      });
    const [lost, later] = await Promise.all([inBatch(0, [1, 2, 3]), inBatch(1, [4, 5, 6]), run.clock.runUntil(t0 + 100)]);
    const ids = datagrams[0]!.requests.map((r) => r.id);
    // Calls 4–6 leave together at t0+1 and their replies arrive together at t0+3: the 3rd one makes calls 1–3 lost.
    expect(datagrams.map((d) => [d.at - t0, d.requests.map((r) => r.attempt)])).toEqual([
      [0, [0, 0, 0]],
      [1, [0, 0, 0]],
      [3, [1, 1, 1]],
    ]);
    expect(datagrams[2]!.requests.map((r) => r.id)).toEqual(ids);
    expect(lost!.map((r) => [r.settledAt! - t0, r.settleCount, r.value])).toEqual([
      [5, 1, { tag: 1, sum: 2 }],
      [5, 1, { tag: 2, sum: 3 }],
      [5, 1, { tag: 3, sum: 4 }],
    ]);
    expect(later!.map((r) => r.settledAt! - t0)).toEqual([3, 3, 3]);
    expect(run.client.stats()).toMatchObject({ retransmits: 3, lossRetransmits: 3, inFlight: 0 });
  });

  it('an ACKed slow call is never declared lost, however many later calls are answered', async () => {
    const run = await startSimRun({ seed: 3 });
    await prime(run, 1); // RTO 30 ms: the first slow probe after the ACK would come >= 24 ms later, after the reply
    let duplicated = false;
    const sent = logRequests(run);
    const log = run.clientTap.filter;
    run.clientTap.filter = (frame, bytes, to) => {
      // The network duplicates the slow call's first copy: its twin finds the handler running and is ACKed.
      if (frame?.type === FrameType.REQUEST && !duplicated) {
        duplicated = true;
        run.clientTap.inner.send(bytes, to);
      }
      return log(frame, bytes, to);
    };
    const t0 = run.clock.now();
    const slow = addAt(run, 0, 1, 20);
    const fast = Array.from({ length: 10 }, (_, i) => addAt(run, 3 + i, 2 + i));
    const records = (await settleAll(run.clock, [slow, ...fast])).map((r) => (r.status === 'fulfilled' ? r.value : undefined));
    const slowId = sent[0]!.id;
    expect(run.serverTap.count(FrameType.ACK, slowId)).toBe(1);
    expect(copiesOf(sent, slowId)).toEqual([{ at: t0, id: slowId, attempt: 0 }]);
    expect(records[0]).toMatchObject({ settledAt: t0 + 22, settleCount: 1, value: { tag: 1, sum: 2 } });
    expect(run.client.stats()).toMatchObject({ retransmits: 0, lossRetransmits: 0 });
    expect(run.executions.of(1)).toBe(1);
  });

  it('the cost for a slow call the server has not ACKed: one spurious copy, which the server ACKs; then it is no longer a candidate', async () => {
    const run = await startSimRun({ seed: 3 });
    await prime(run, 1);
    const sent = logRequests(run);
    const t0 = run.clock.now();
    const slow = addAt(run, 0, 1, 20);
    const fast = Array.from({ length: 10 }, (_, i) => addAt(run, 3 + i, 2 + i));
    const records = (await settleAll(run.clock, [slow, ...fast])).map((r) => (r.status === 'fulfilled' ? r.value : undefined));
    const slowId = sent[0]!.id;
    // Call 2 is answered at t0+5, past the slow call's time threshold (t0 + 9/8·2): lost at once; the copy is ACKed at t0+7.
    expect(copiesOf(sent, slowId)).toEqual([
      { at: t0, id: slowId, attempt: 0 },
      { at: t0 + 5, id: slowId, attempt: 1 },
    ]);
    expect(run.serverTap.count(FrameType.ACK, slowId)).toBe(1);
    expect(records[0]).toMatchObject({ settledAt: t0 + 22, settleCount: 1, value: { tag: 1, sum: 2 } });
    expect(run.client.stats()).toMatchObject({ retransmits: 1, lossRetransmits: 1 });
    expect(run.executions.of(1)).toBe(1);
  });

  it('a late (reordered, not lost) reply after the spurious retransmission: the call settles once and its handler ran once', async () => {
    for (const holdMs of [1.5, 10]) {
      const run = await startSimRun({ seed: 4 });
      await prime(run, 1);
      const sent = logRequests(run);
      let heldId: number | undefined;
      run.serverTap.filter = (frame, bytes, to) => {
        // The first reply to call 1 is held back `holdMs` on its way (the network reorders it).
        if (frame?.type === FrameType.RESPONSE && frame.id === sent[0]?.id && heldId === undefined) {
          heldId = frame.id;
          run.clock.setTimer(holdMs, () => run.serverTap.inner.send(bytes, to));
          return false;
        }
        return true;
      };
      const t0 = run.clock.now();
      const calls = [addAt(run, 0, 1), addAt(run, 0, 2), addAt(run, 0, 3), addAt(run, 0, 4)];
      const records = (await settleAll(run.clock, calls)).map((r) => (r.status === 'fulfilled' ? r.value : undefined));
      await run.clock.runFor(100);
      const id = sent[0]!.id;
      // Calls 2–4 are answered at t0+2: the packet threshold resends call 1 then; its copy arrives at t0+3 and is
      // answered from the reply cache at t0+4. The held original arrives at t0+1+holdMs+1.
      expect(copiesOf(sent, id), `hold ${holdMs}`).toEqual([
        { at: t0, id, attempt: 0 },
        { at: t0 + 2, id, attempt: 1 },
      ]);
      expect(records[0], `hold ${holdMs}`).toMatchObject({ settledAt: Math.min(t0 + 2 + holdMs, t0 + 4), settleCount: 1, value: { tag: 1, sum: 2 } });
      expect(records.map((r) => r?.settleCount)).toEqual([1, 1, 1, 1]);
      expect(run.executions.of(1), `hold ${holdMs}`).toBe(1);
      expect(run.server.stats().duplicatesReplayed, `hold ${holdMs}`).toBe(1);
      expect(run.client.stats().drops['unknown-call'], `hold ${holdMs}`).toBe(1);
      expect(run.client.stats()).toMatchObject({ inFlight: 0, retransmits: 1, lossRetransmits: 1 });
    }
  });
});
