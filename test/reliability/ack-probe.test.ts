// Regression tests for an engine finding, now fixed (property 5 failed for handlers of a few tens of ms):
// once ANY copy of a request reaches the server while its handler is running,
// the server answers it with an ACK ("still running"), and from then on the
// client only probed once per ~1 s (ackedProbeIntervalMs) instead of at its
// RTO. If the handler's reply was then lost, every further chance cost ~1 s,
// so a 5 s call got ~4 more tries instead of ~20, and at 30 % loss each way
// it failed with DEADLINE_EXCEEDED far more often than the documented ~1e-6.
// Ordinary ways to get there:
//   1. the network duplicates the FIRST copy (not a retransmission): its twin
//      arrives while the handler runs and is ACKed;
//   2. on a LAN the RTO sits at its 30 ms floor (minRtoMs), so for a handler
//      above ~24 ms the first retransmission arrives while it runs;
//   3. delay jitter: the first copy is held up (e.g. 45 ms) and the
//      retransmission arrives right behind it, during even a 20 ms handler.
// Measured: ~0.2 % of 35–50 ms calls fail at 30 % loss on a 1 ms link
// (9,000 calls); ~8e-5 of quick calls with duplication (63,000 calls).
// fast-check finds it within a few thousand runs of property 5 with
// handlers <= 50 ms; one shrunk counterexample (trigger 2), replayable with
// startSimRun + startPlanned: run seed 1542520549, up { loss 0.226,
// delayMs 0..1, reorder 0.024 (2 ms) }, down { loss 0.082, duplicate 0.001,
// delayMs 0..1 }, calls [add 1 ms at t=0, add 32 ms at t=2] → call 2 failed.
// long-run.test.ts reports the rate as quickFailureRate.
//
// Where it was: packages/core/src/server/server-engine.ts (now request-intake.ts) onDuplicate() ACKs every
// duplicate of a RUNNING entry; packages/core/src/client/client-engine.ts onAcked()
// set `acked`, and schedule() then used max(ackedProbeIntervalMs, RTO).
// The fix (client-engine.ts onAcked()/schedule()): after an ACK the probe gap
// grows from the RTO (doubling) up to ackedProbeIntervalMs instead of jumping
// to it, which covers all three paths.
import { describe, expect, it } from 'vitest';
import { FrameType } from '@udprpc/core/wire';
import { settleAll } from '@udprpc/testkit';
import { codeOf, loseReplies, startSimRun, type SimRun } from '../properties/sim-harness.js';

const link = { delayMs: 1 };
/** The reply and its next five replays are lost: ~1 s of reply-path outage at the RTO pace. */
const LOST_REPLIES = 6;

/** The network delivers the client's next REQUEST twice. */
function duplicateNextRequest(run: SimRun): void {
  let duplicated = false;
  run.clientTap.filter = (frame, bytes, to) => {
    if (frame?.type === FrameType.REQUEST && !duplicated) {
      duplicated = true;
      run.clientTap.inner.send(bytes, to);
    }
    return true;
  };
}

/** One fast call first, so that the RTO drops to its 30 ms floor. */
async function primeRto(run: SimRun): Promise<void> {
  await settleAll(run.clock, [run.stub.add({ tag: 99, a: 0, b: 0, delayMs: 0 })]);
  expect(run.client.timing()?.rtoMs).toBe(30);
}

async function lossyCall(run: SimRun, handlerMs: number) {
  loseReplies(run, LOST_REPLIES);
  const startAt = run.clock.now();
  const outcome = run.stub.add({ tag: 1, a: 2, b: 3, delayMs: handlerMs }, { timeoutMs: 5000 }).then(
    (value) => ({ value, ms: run.clock.now() - startAt }),
    (error: unknown) => ({ error: codeOf(error), ms: run.clock.now() - startAt }),
  );
  await run.clock.runUntil(startAt + 6000);
  return outcome;
}

describe('an ACK for a quick handler slows the client to 1 s probes (engine finding)', () => {
  it('control: without a copy arriving mid-handler, six lost replies are recovered at the RTO pace', async () => {
    const fresh = await startSimRun({ seed: 1, up: link, down: link });
    expect(await lossyCall(fresh, 10)).toMatchObject({ value: { tag: 1, sum: 5 }, ms: expect.toSatisfy((ms: number) => ms < 2000) });
    const primed = await startSimRun({ seed: 1, up: link, down: link });
    await primeRto(primed);
    expect(await lossyCall(primed, 15)).toMatchObject({ value: { tag: 1, sum: 5 }, ms: expect.toSatisfy((ms: number) => ms < 1000) });
    expect(primed.server.stats().duplicatesInProgress).toBe(0);
  });

  it('regression (1): when the network duplicates the first copy of a 10 ms call, the same losses are recovered', async () => {
    const run = await startSimRun({ seed: 1, up: link, down: link });
    duplicateNextRequest(run);
    // Before the fix: { error: 'DEADLINE_EXCEEDED', ms: 5000 } after only ~5 REQUEST copies.
    expect(await lossyCall(run, 10)).toMatchObject({ value: { tag: 1, sum: 5 } });
  });

  it('regression (2): a 40 ms handler with the RTO at its 30 ms floor: the same losses are recovered', async () => {
    const run = await startSimRun({ seed: 1, up: link, down: link });
    await primeRto(run);
    // Before the fix: { error: 'DEADLINE_EXCEEDED', ms: 5000 }.
    expect(await lossyCall(run, 40)).toMatchObject({ value: { tag: 1, sum: 5 } });
  });

  it('the mechanism: the copy that arrives mid-handler is ACKed; after it the probe gap doubles from the RTO, so the lost replies are recovered quickly', async () => {
    for (const variant of ['duplicate', 'rto-floor'] as const) {
      const run = await startSimRun({ seed: 1, up: link, down: link });
      if (variant === 'duplicate') duplicateNextRequest(run);
      else await primeRto(run);
      const before = run.clientTap.count(FrameType.REQUEST);
      await lossyCall(run, variant === 'duplicate' ? 10 : 40);
      expect(run.serverTap.count(FrameType.ACK), variant).toBe(1);
      // Six lost replies need seven probes; doubling from the RTO keeps them
      // within ~2 s instead of one per second.
      expect(run.clientTap.count(FrameType.REQUEST) - before, variant).toBeLessThanOrEqual(10);
    }
  });
});
