// The invariant checker itself: a handler run that happens after the last call
// settled — a late network duplicate reaching the server while the network
// drains — must be counted. checkRun drains the network before it counts
// handler runs; counting at settle time would miss this one.
import { describe, expect, it } from 'vitest';
import { settleAll } from '@udprpc/testkit';
import { checkRun, startPlanned, type PlannedCall } from './invariants.js';
import { startSimRun } from './sim-harness.js';

const plan: PlannedCall = { kind: 'add', delayMs: 0, timeoutMs: 1000, cancelAfterMs: undefined };

async function settledRun() {
  const run = await startSimRun({ seed: 1, up: { delayMs: 5 }, down: { delayMs: 5 } });
  const [settled] = await settleAll(run.clock, [startPlanned(run, plan, 1)]);
  if (settled?.status !== 'fulfilled') throw new Error('the call did not settle');
  expect(settled.value.error).toBeUndefined();
  expect(run.executions.of(1)).toBe(1);
  return { run, record: settled.value };
}

describe('checkRun counts handler runs after the network has drained', () => {
  it('a clean run passes', async () => {
    const { run, record } = await settledRun();
    const totals = await checkRun(run, [plan], [record], { allSucceed: true, maxOneWayMs: 10 });
    expect(totals.successes).toBe(1);
  });

  it('a second run of an at-most-once handler 50 ms after the call settled fails the check', async () => {
    const { run, record } = await settledRun();
    // Stands in for a late duplicate the server failed to suppress.
    run.clock.setTimer(50, () => {
      run.executions.begin(1);
      run.executions.end(1);
    });
    await expect(checkRun(run, [plan], [record], { allSucceed: true, maxOneWayMs: 10 })).rejects.toThrow(/add 1 ran 2 times/);
  });
});
