// The router learns of ACKs from the engine (its onAck hook), not by parsing
// datagrams a second time (issue 13). So only an ACK the engine accepted —
// right session, right id, from the attempt's own server — keeps an attempt
// in place: an ACK naming the attempt but sent from another address is a
// `wrong-peer` drop for the engine and must not hold the call on a server
// that never answers.
import { describe, expect, it } from 'vitest';
import { decodeFrame, encodeFrame, FrameType } from '@udprpc/core/wire';
import { createClient } from 'udprpc';
import { createRandom, settleAll, SimNetwork, VirtualClock } from '@udprpc/testkit';

describe('the router sees only the ACKs the engine accepted', () => {
  it('ACKs for an attempt sent from a third address do not keep it from failing over', async () => {
    const clock = new VirtualClock();
    const net = new SimNetwork({ clock, seed: 1 });
    const silent = net.endpoint('silent'); // the attempt's server: never answers
    const other = net.endpoint('other'); // listens, never answers
    const spoofer = net.endpoint('spoofer'); // ACKs what `silent` receives, from its own address
    await other.listen(() => {}, () => {});
    await spoofer.listen(() => {}, () => {});
    let acks = 0;
    await silent.listen((bytes, from) => {
      const f = decodeFrame(bytes);
      if (!f.ok || f.value.type !== FrameType.REQUEST) return;
      acks++;
      spoofer.send(encodeFrame({ type: FrameType.ACK, flags: 0, attempt: f.value.attempt, session: f.value.session, id: f.value.id }, new Uint8Array(0)), from);
    }, () => {});
    const client = createClient({ transport: net.endpoint('client'), peers: [silent.address, other.address], balancer: 'round-robin', clock, random: createRandom(3) });
    const moves: number[] = [];
    client.on('failover', () => moves.push(clock.now()));
    const [r] = await settleAll(clock, [client.call('svc', 'get', { tag: 1 }, { idempotent: true, timeoutMs: 5000 })]);
    expect(r).toMatchObject({ status: 'rejected', reason: { code: 'DEADLINE_EXCEEDED' } });
    expect(acks).toBeGreaterThan(0);
    expect(client.stats().drops['wrong-peer']).toBe(acks);
    // The attempt on `silent` gives up at its attempt timeout (half the deadline) and the call moves on.
    expect(moves).toEqual([2500]);
    await client.close();
  });
});
