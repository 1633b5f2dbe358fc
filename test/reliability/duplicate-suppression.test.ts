// Duplicate suppression, case by case and deterministically (protocol.md
// §6.2): the real client and server on a loss-free simulated network, with
// exactly the datagrams a case needs removed or repeated.
import { describe, expect, it } from 'vitest';
import { Flag, FrameType } from '@udprpc/core/wire';
import { settleAll } from '@udprpc/testkit';
import { lastRequestId, loseReplies, startSimRun } from '../properties/sim-harness.js';

const link = { delayMs: 1 };

describe('duplicate suppression (deterministic)', () => {
  it('a retransmission that arrives while the handler runs gets an ACK and does not run it again', async () => {
    const run = await startSimRun({ seed: 11, up: link, down: link });
    loseReplies(run, 1); // lossy reply path: the handler's own RESPONSE is lost
    const call = run.stub.add({ tag: 1, a: 20, b: 22, delayMs: 1000 });
    const [r] = await settleAll(run.clock, [call]);

    expect(r).toEqual({ status: 'fulfilled', value: { tag: 1, sum: 42 } });
    expect(run.executions.of(1)).toBe(1);
    const ss = run.server.stats();
    expect(ss.requests).toBe(1);
    // The first retransmission (attempt 1, ~200 ms) found the handler running.
    const acks = run.serverTap.sent.filter((f) => f.type === FrameType.ACK);
    expect(acks.length).toBeGreaterThanOrEqual(1);
    expect(acks[0]!.attempt).toBe(1);
    expect(ss.duplicatesInProgress).toBe(acks.length);
    // A later probe, after the handler finished, got the cached reply.
    expect(ss.duplicatesReplayed).toBeGreaterThanOrEqual(1);
    expect(run.clock.now()).toBeGreaterThan(1000);
  });

  it('a retransmission that arrives after the handler finished gets the cached reply, with its own attempt number', async () => {
    const run = await startSimRun({ seed: 12, up: link, down: link });
    loseReplies(run, 1);
    const [r] = await settleAll(run.clock, [run.stub.add({ tag: 1, a: 1, b: 2, delayMs: 0 })]);

    expect(r).toEqual({ status: 'fulfilled', value: { tag: 1, sum: 3 } });
    expect(run.executions.of(1)).toBe(1);
    const ss = run.server.stats();
    expect({ requests: ss.requests, inProgress: ss.duplicatesInProgress, replayed: ss.duplicatesReplayed }).toEqual({
      requests: 1, inProgress: 0, replayed: 1,
    });
    const responses = run.serverTap.sent.filter((f) => f.type === FrameType.RESPONSE);
    expect(responses.map((f) => f.attempt)).toEqual([0, 1]);
    expect(run.client.stats().retransmits).toBe(1);
  });

  it('idempotent methods skip the reply cache: their finished calls leave no entry', async () => {
    const cached = async (kind: 'add' | 'echo') => {
      const run = await startSimRun({ seed: 13, up: link, down: link });
      const calls = [1, 2, 3].map((tag) => (kind === 'add' ? run.stub.add({ tag, a: tag, b: tag, delayMs: 0 }) : run.stub.echo({ tag, delayMs: 0 })));
      const results = await settleAll(run.clock, calls);
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled']);
      return run.server.stats().cacheEntries;
    };
    expect(await cached('add')).toBe(3);
    expect(await cached('echo')).toBe(0);
  });

  it('so a lost reply runs an idempotent handler again, while an at-most-once one is answered from the cache', async () => {
    const run = await startSimRun({ seed: 13, up: link, down: link });
    const lossy = new Set<number>();
    const seen = new Set<number>();
    // Each call's first RESPONSE is lost.
    run.serverTap.filter = (f) => !(f?.type === FrameType.RESPONSE && lossy.has(f.id) && !seen.has(f.id) && seen.add(f.id));
    const calls: Promise<unknown>[] = [];
    for (let tag = 1; tag <= 3; tag++) {
      calls.push(run.stub.echo({ tag, delayMs: 0 }));
      lossy.add(await lastRequestId(run));
      calls.push(run.stub.add({ tag: 100 + tag, a: tag, b: tag, delayMs: 0 }));
      lossy.add(await lastRequestId(run));
    }
    const results = await settleAll(run.clock, calls);
    expect(results.map((r) => r.status)).toEqual(Array(6).fill('fulfilled'));
    for (let tag = 1; tag <= 3; tag++) {
      expect(run.executions.of(tag), `echo ${tag}`).toBe(2); // ran again for the retransmission
      expect(run.executions.of(100 + tag), `add ${100 + tag}`).toBe(1); // answered from the cache
    }
    const ss = run.server.stats();
    expect(ss.duplicatesReplayed).toBe(3);
    expect(ss.requests).toBe(9);
  });

  it('notifications run at most once: a duplicated one runs once, a lost one never, and neither is retransmitted or answered', async () => {
    const dup = await startSimRun({ seed: 14, up: { ...link, duplicate: 1 }, down: link });
    const lost = await startSimRun({ seed: 15, up: { ...link, loss: 1 }, down: link });
    for (const run of [dup, lost]) {
      for (let tag = 1; tag <= 10; tag++) await run.stub.note.notify({ tag });
      await run.clock.runFor(10_000);
    }
    for (let tag = 1; tag <= 10; tag++) {
      expect(dup.executions.of(tag)).toBe(1);
      expect(lost.executions.of(tag)).toBe(0);
    }
    expect(dup.server.stats().drops['duplicate']).toBe(10);
    expect(dup.net.stats().delivered).toBe(20);
    for (const run of [dup, lost]) {
      const sent = run.clientTap.sent;
      expect(sent).toHaveLength(10);
      expect(sent.every((f) => f.type === FrameType.REQUEST && f.attempt === 0 && (f.flags & Flag.NO_REPLY) !== 0)).toBe(true);
      expect(run.serverTap.sent).toEqual([]);
      expect(run.server.stats().cacheEntries).toBe(0); // expired after the grace period
      expect(run.clock.pendingTimers).toBe(0);
    }
  });
});
