import { beforeAll, describe, expect, it, type TestContext } from 'vitest';
import { ExitCode, run } from '@udprpc/cli';
import { createServer, formatPeer } from 'udprpc';
import { createGroupTransport } from '@udprpc/transport-udp';
import { greeter, LOOPBACK, loopbackMulticastProblem, useGroup } from './support.js';

// `udprpc describe udp://group:port --group`, run in-process through run():
// every member of a loopback multicast group is listed under its own address.

const GROUP = '239.255.77.2';
const { startMember } = useGroup();

let problem: string | undefined;
beforeAll(async () => {
  problem = await loopbackMulticastProblem(GROUP);
});
const skipUnlessMulticast = (ctx: TestContext): void => {
  if (problem !== undefined) ctx.skip(`loopback multicast does not work here: ${problem}`);
};

async function cli(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await run(argv, { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t) });
  return { code, stdout, stderr };
}

/** Loopback-only flags: send via 127.0.0.1, never past this host. */
const LOCAL = ['--interface', LOOPBACK, '--ttl', '0'];

describe('udprpc describe --group', () => {
  it('lists every server that answered with its address and services', async (ctx) => {
    skipUnlessMulticast(ctx);
    const a = await startMember('a', { group: GROUP, port: 0 });
    const port = a.transport.groupAddress!.port;
    const b = await startMember('b', { group: GROUP, port });
    // A third member with introspection off is listed with its refusal.
    const quiet = createServer({ transport: createGroupTransport({ group: GROUP, port, interface: LOOPBACK, host: LOOPBACK }), introspection: false });
    const quietAddress = await quiet.implement(greeter, { hello: () => ({ server: 'q', greeting: '' }), blob: () => '' }).listen();
    try {
      const url = `udp://${GROUP}:${port}`;
      // maxReplies is not a flag: the collection window ends the call, so give it room.
      const text = await cli(['describe', url, '--group', '--collect', '1500', ...LOCAL]);
      expect(text.stderr).toBe('');
      expect(text.code).toBe(ExitCode.OK);
      expect(text.stdout).toMatch(new RegExp(`^3 servers answered on udp://${GROUP.replaceAll('.', '\\.')}:${port} within 1500 ms$`, 'm'));
      for (const m of [a, b]) {
        expect(text.stdout).toContain(`udp://${formatPeer(m.address)}\n  greeter (2 methods)\n    greeter.hello  at-most-once\n    greeter.blob   idempotent\n`);
      }
      expect(text.stdout).toContain(`udp://${formatPeer(quietAddress)}\n  NOT_FOUND: its introspection is turned off\n`);

      const json = await cli(['describe', url, '--group', '--json', '--collect', '1500', ...LOCAL]);
      expect(json.code).toBe(ExitCode.OK);
      const listed = JSON.parse(json.stdout) as { url: string; port: number; services?: unknown; error?: unknown }[];
      expect(listed).toHaveLength(3);
      const service = [{ service: 'greeter', methods: [{ name: 'hello', idempotent: false }, { name: 'blob', idempotent: true }] }];
      expect(listed).toEqual(
        expect.arrayContaining([
          { url: `udp://${formatPeer(a.address)}`, address: LOOPBACK, port: a.address.port, services: service },
          { url: `udp://${formatPeer(b.address)}`, address: LOOPBACK, port: b.address.port, services: service },
          { url: `udp://${formatPeer(quietAddress)}`, address: LOOPBACK, port: quietAddress.port, error: { code: 'NOT_FOUND', message: 'its introspection is turned off' } },
        ]),
      );

      // A listed address is a normal server URL.
      const direct = await cli(['describe', `udp://${formatPeer(b.address)}`, '--json']);
      expect(JSON.parse(direct.stdout)).toEqual(service);
    } finally {
      await quiet.close();
    }
  });

  it('exits 1 and says so when no server answers', async (ctx) => {
    skipUnlessMulticast(ctx);
    const gone = await startMember('gone', { group: GROUP, port: 0 });
    const port = gone.transport.groupAddress!.port;
    await gone.server.close();
    const r = await cli(['describe', `udp://${GROUP}:${port}`, '--group', '--collect', '200', ...LOCAL]);
    expect(r.code).toBe(ExitCode.FAILURE);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`udprpc describe: no server answered on udp://${GROUP}:${port} within 200 ms\n`);
  });

  it.each([
    [['--collect', '100'], /--collect needs --group/],
    [['--ttl', '0'], /--ttl needs --group/],
    [['--group', '--timeout', '100'], /--timeout does not apply to --group/],
    [['--group', '--collect', '0'], /--collect "0"/],
    [['--group', '--collect', '10001'], /--collect "10001"/],
    [['--group', '--ttl', '256'], /--ttl "256"/],
    [['--group', '--interface', '::1'], /--interface "::1": expected an IPv4 address/],
  ])('%j is a usage error', async (flags, message) => {
    const r = await cli(['describe', `udp://${GROUP}:4000`, ...flags]);
    expect(r.code).toBe(ExitCode.USAGE);
    expect(r.stderr).toMatch(message);
  });

  it('needs an IP address for --group', async () => {
    const r = await cli(['describe', 'udp://example.invalid:4000', '--group']);
    expect(r.code).toBe(ExitCode.USAGE);
    expect(r.stderr).toMatch(/--group needs an IP address/);
  });
});
