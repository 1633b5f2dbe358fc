// The convenience path: a client made from a multicast URL with socket options
// reaches every member of a loopback group (docs/group-calls.md).
import { afterEach, describe, expect, it } from 'vitest';
import { createClient, createGroupTransport, createServer, defineContract, method, type Client, type Server } from 'udprpc';

const who = defineContract('who', { name: method<void, string>() });
const GROUP = '239.255.77.8';
const PORT = 47_778;

describe('createClient({ url: multicast, socket })', () => {
  const open: Array<Client | Server> = [];
  afterEach(async () => {
    for (const x of open.splice(0)) await x.close();
  });

  it('collects one reply from each member', async () => {
    for (let i = 0; i < 3; i++) {
      const transport = createGroupTransport({ group: GROUP, port: PORT, interface: '127.0.0.1', ttl: 0, loopback: true });
      const server = createServer({ transport }).implement(who, { name: () => `member-${i}` });
      open.push(server);
      await server.listen();
    }
    const client = createClient({
      url: `udp://${GROUP}:${PORT}`,
      socket: { multicastInterface: '127.0.0.1', multicastTtl: 0, multicastLoopback: true },
    });
    open.push(client);
    const names: string[] = [];
    const peers = new Set<number>();
    for await (const reply of client.group(who).name(undefined, { collectMs: 2000, maxReplies: 3 })) {
      expect(reply.ok).toBe(true);
      if (reply.ok) names.push(reply.result);
      peers.add(reply.peer.port);
    }
    expect(names.sort()).toEqual(['member-0', 'member-1', 'member-2']);
    expect(peers.size).toBe(3);
  });
});
