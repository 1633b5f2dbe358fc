import { beforeAll, describe, expect, it, type TestContext } from 'vitest';
import { createServer, createUdpTransport, RpcError, type GroupReply, type Server } from 'udprpc';
import { collect, greeter, LOOPBACK, loopbackMulticastProblem, useGroup, type Member } from './support.js';

// Group calls end to end over real sockets: three servers share one loopback
// multicast group (239.255.77.1, joined on 127.0.0.1; the client sends with
// TTL 0), each behind createGroupTransport so it answers from its own address.
// No assertion depends on timing: calls that must see every member end by
// maxReplies, with collectMs only as a hang guard.

const GROUP = '239.255.77.1';
const GUARD_MS = 10_000;
const { startMember, groupClient, unicastClient } = useGroup();

let problem: string | undefined;
beforeAll(async () => {
  problem = await loopbackMulticastProblem(GROUP);
});
const skipUnlessMulticast = (ctx: TestContext): void => {
  if (problem !== undefined) ctx.skip(`loopback multicast does not work here: ${problem}`);
};

/** Three members of GROUP on one port; `options[i]` shapes member i. */
async function startThree(options: Parameters<typeof startMember>[2][] = []): Promise<Member[]> {
  const first = await startMember('a', { group: GROUP, port: 0 }, options[0]);
  const port = first.transport.groupAddress!.port;
  const rest = await Promise.all(['b', 'c'].map((name, i) => startMember(name, { group: GROUP, port }, options[i + 1])));
  return [first, ...rest];
}

type HelloReply = GroupReply<{ server: string; greeting: string }>;
const byServer = (replies: HelloReply[]): Map<string, HelloReply> =>
  new Map(replies.map((r) => [r.ok ? r.result.server : `error@${r.peer.port}`, r]));

describe('group calls over loopback multicast', () => {
  it('yields one reply per server, each from its own address, with its result', async (ctx) => {
    skipUnlessMulticast(ctx);
    const members = await startThree();
    const client = groupClient(members[0]!.transport.groupAddress!);
    const replies = await collect(client.group(greeter).hello({ name: 'ann' }, { collectMs: GUARD_MS, maxReplies: 3 }));

    expect(replies).toHaveLength(3);
    expect(new Set(replies.map((r) => `${r.peer.address}:${r.peer.port}`)).size).toBe(3);
    const seen = byServer(replies);
    for (const m of members) {
      const reply = seen.get(m.name);
      expect(reply).toEqual({ peer: m.address, ok: true, result: { server: m.name, greeting: `hello ann from ${m.name}` } });
      expect(m.handlerRuns).toBe(1);
    }
  });

  it('stops after maxReplies', async (ctx) => {
    skipUnlessMulticast(ctx);
    const members = await startThree();
    const client = groupClient(members[0]!.transport.groupAddress!);
    const replies = await collect(client.group(greeter).hello({ name: 'bo' }, { collectMs: GUARD_MS, maxReplies: 2 }));
    expect(replies).toHaveLength(2);
    expect(new Set(replies.map((r) => r.peer.port)).size).toBe(2);
    for (const r of replies) expect(members.map((m) => m.address)).toContainEqual(r.peer);
  });

  it('ends at collectMs with the replies of the servers still running', async (ctx) => {
    skipUnlessMulticast(ctx);
    const members = await startThree();
    await members[1]!.server.close();
    const client = groupClient(members[0]!.transport.groupAddress!);
    // No maxReplies: only the collection window ends this call.
    const replies = await collect(client.group(greeter).hello({ name: 'cy' }, { collectMs: 1500 }));
    expect([...byServer(replies).keys()].sort()).toEqual(['a', 'c']);
    expect(members[1]!.handlerRuns).toBe(0);
  });

  it('reports a throwing server as { ok: false, error } while the others succeed', async (ctx) => {
    skipUnlessMulticast(ctx);
    const refusal = new RpcError('FAILED_PRECONDITION', 'b is draining');
    const members = await startThree([{}, { failWith: refusal }, {}]);
    const client = groupClient(members[0]!.transport.groupAddress!);
    const replies = await collect(client.group(greeter).hello({ name: 'di' }, { collectMs: GUARD_MS, maxReplies: 3 }));

    expect(replies).toHaveLength(3);
    const failed = replies.filter((r) => !r.ok);
    expect(failed).toHaveLength(1);
    const failure = failed[0]!;
    expect(failure.peer).toEqual(members[1]!.address);
    if (failure.ok) throw new Error('unreachable');
    expect(failure.error).toBeInstanceOf(RpcError);
    expect(failure.error).toMatchObject({ code: 'FAILED_PRECONDITION', message: 'b is draining', remote: true });
    expect(replies.filter((r) => r.ok).map((r) => r.peer)).toEqual(expect.arrayContaining([members[0]!.address, members[2]!.address]));
  });

  it('runs each handler once per call although a lost reply makes the client retransmit', async (ctx) => {
    skipUnlessMulticast(ctx);
    // Member b loses its first reply: only a retransmission of the request,
    // answered from b's reply cache, can complete the call.
    const members = await startThree([{}, { dropFirstReply: true }, {}]);
    const client = groupClient(members[0]!.transport.groupAddress!);
    const replies = await collect(client.group(greeter).hello({ name: 'ed' }, { collectMs: GUARD_MS, maxReplies: 3 }));

    expect([...byServer(replies).keys()].sort()).toEqual(['a', 'b', 'c']);
    expect(members[1]!.dropped).toBe(1);
    expect(client.stats().retransmits).toBeGreaterThanOrEqual(1);
    for (const m of members) expect(m.handlerRuns).toBe(1);
    expect(members[1]!.server.stats().duplicatesReplayed).toBeGreaterThanOrEqual(1);
    // Every member saw the retransmission too and answered it from its cache.
    for (const m of [members[0]!, members[2]!]) expect(m.server.stats().requests).toBe(1);
  });

  it('completes address validation with each member when replies outgrow 3x the request', async (ctx) => {
    skipUnlessMulticast(ctx);
    const members = await startThree();
    const client = groupClient(members[0]!.transport.groupAddress!);
    const replies = await collect(client.group(greeter).blob({ size: 900 }, { collectMs: GUARD_MS, maxReplies: 3 }));
    expect(replies.map((r) => (r.ok ? r.result : r.error.message)).sort()).toEqual(['a', 'b', 'c'].map((n) => n.repeat(900)));
    for (const m of members) expect(m.server.stats().validations).toBe(1);
  });

  it('lets the caller call a reported peer directly afterwards', async (ctx) => {
    skipUnlessMulticast(ctx);
    const members = await startThree();
    const client = groupClient(members[0]!.transport.groupAddress!);
    const replies = await collect(client.group(greeter).hello({ name: 'fay' }, { collectMs: GUARD_MS, maxReplies: 3 }));
    const chosen = replies.find((r) => r.ok && r.result.server === 'c')!;

    const direct = unicastClient(chosen.peer);
    await expect(direct.stub(greeter).hello({ name: 'fay' })).resolves.toEqual({ server: 'c', greeting: 'hello fay from c' });
    expect(members.map((m) => m.handlerRuns)).toEqual([1, 1, 2]);
  });

  it('ends the collection early on abort', async (ctx) => {
    skipUnlessMulticast(ctx);
    const members = await startThree();
    const client = groupClient(members[0]!.transport.groupAddress!);
    const controller = new AbortController();
    const replies: HelloReply[] = [];
    for await (const reply of client.group(greeter).hello({ name: 'gus' }, { collectMs: GUARD_MS, signal: controller.signal })) {
      replies.push(reply);
      controller.abort();
    }
    expect(replies).toHaveLength(1);
  });
});

describe('why members need createGroupTransport', () => {
  it('servers that answer from the shared group socket look like one peer: one reply, the rest dropped', async (ctx) => {
    skipUnlessMulticast(ctx);
    const servers: Server[] = [];
    try {
      let port = 0;
      for (const name of ['a', 'b', 'c']) {
        // Same group port for all; each server's transport is the shared socket itself.
        const transport = createUdpTransport({ host: GROUP, port, reuseAddr: true });
        const server = createServer({ transport }).implement(greeter, { hello: () => ({ server: name, greeting: '' }), blob: () => '' });
        servers.push(server);
        port = (await server.listen()).port;
        transport.addMembership(GROUP, LOOPBACK);
      }
      const client = groupClient({ address: GROUP, family: 'IPv4', port });
      const replies = await collect(client.group(greeter).hello({ name: 'ida' }, { collectMs: 1500 }));
      // Every reply leaves from 127.0.0.1:<group port>, so the client keeps the first only.
      expect(replies).toHaveLength(1);
      expect(replies[0]!.peer).toEqual({ address: '127.0.0.1', family: 'IPv4', port });
      expect(client.stats().drops.duplicate ?? 0).toBeGreaterThanOrEqual(2);
    } finally {
      await Promise.all(servers.map((s) => s.close()));
    }
  });
});

describe('group calls over loopback broadcast', () => {
  it('reaches every server listening on 127.255.255.255', async (ctx) => {
    let members: Member[];
    try {
      const first = await startMember('a', { group: '127.255.255.255', port: 0, broadcast: true });
      const port = first.transport.groupAddress!.port;
      members = [first, ...(await Promise.all(['b', 'c'].map((n) => startMember(n, { group: '127.255.255.255', port, broadcast: true }))))];
    } catch (e) {
      return ctx.skip(`this host cannot bind the loopback broadcast address: ${(e as Error).message}`);
    }
    const client = groupClient(members[0]!.transport.groupAddress!, { broadcast: true });
    let sendError: Error | undefined;
    client.on('error', (e) => (sendError ??= e));
    // maxReplies ends the call once all three answered; collectMs only bounds a refusal.
    const replies = await collect(client.group(greeter).hello({ name: 'hal' }, { collectMs: 3000, maxReplies: 3 }));
    if (replies.length === 0) return ctx.skip(`the kernel refused loopback broadcast: ${sendError?.message ?? 'no reply'}`);
    expect([...byServer(replies).keys()].sort()).toEqual(['a', 'b', 'c']);
    for (const m of members) expect(replies.map((r) => r.peer)).toContainEqual(m.address);
  });
});
