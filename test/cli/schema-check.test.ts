// `udprpc describe` prints the JSON Schemas a server publishes, and
// `udprpc call` checks its argument against the published input schema
// before sending (issue 16). In-process CLI against a real server on 127.0.0.1.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ExitCode, exitCodeForRpcError } from '@udprpc/cli';
import { createServer, defineContract, method, type Server, type ServerNext } from 'udprpc';
import { runCli } from './run-cli.js';

const shop = defineContract('shop', {
  order: method({ input: z.object({ sku: z.string().regex(/^[A-Z]{3}$/), qty: z.number().int().min(1) }), output: z.number() }),
  ping: method<void, string>({ idempotent: true }),
});

const servers: Server[] = [];
let url = '';
let hiddenUrl = '';
let orders = 0;
/** Every call the servers dispatched, as service.method (through an interceptor). */
const dispatched: string[] = [];

async function start(introspection: boolean): Promise<string> {
  const interceptors = [(next: ServerNext): ServerNext => (req) => (dispatched.push(`${req.service}.${req.method}`), next(req))];
  const server = createServer({ host: '127.0.0.1', port: 0, introspection, interceptors }).implement(shop, {
    order: ({ qty }) => (orders++, qty * 10),
    ping: () => 'pong',
  });
  servers.push(server);
  return `udp://127.0.0.1:${(await server.listen()).port}`;
}

beforeAll(async () => {
  url = await start(true);
  hiddenUrl = await start(false);
});
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

describe('udprpc describe with schemas', () => {
  it('prints each published schema under its method, as one line of JSON', async () => {
    const r = await runCli(['describe', url]);
    expect(r).toEqual({
      code: 0,
      stderr: '',
      stdout: [
        'shop (2 methods)',
        '  shop.order  at-most-once',
        '      input   {"type":"object","properties":{"sku":{"type":"string","pattern":"^[A-Z]{3}$"},"qty":{"type":"integer","minimum":1,"maximum":9007199254740991}},"required":["sku","qty"]}',
        '      output  {"type":"number"}',
        '  shop.ping   idempotent',
        '',
      ].join('\n'),
    });
  });

  it('--json keeps the schemas whole', async () => {
    const r = await runCli(['describe', url, '--json']);
    expect(r.code).toBe(0);
    const [service] = JSON.parse(r.stdout) as Array<{ methods: Array<Record<string, unknown>> }>;
    expect(service!.methods[0]).toEqual({
      name: 'order',
      idempotent: false,
      inputSchema: {
        $schema: 'https://json-schema.org/draft/2020-12/schema',
        type: 'object',
        properties: { sku: { type: 'string', pattern: '^[A-Z]{3}$' }, qty: { type: 'integer', minimum: 1, maximum: 9007199254740991 } },
        required: ['sku', 'qty'],
      },
      outputSchema: { $schema: 'https://json-schema.org/draft/2020-12/schema', type: 'number' },
    });
    expect(service!.methods[1]).toEqual({ name: 'ping', idempotent: true });
  });
});

describe('udprpc call checks the argument against the published schema', () => {
  it('prints the issues and exits 65 without sending', async () => {
    const before = orders;
    dispatched.length = 0;
    const r = await runCli(['call', url, 'shop.order', '{"sku":"ab","qty":"2"}']);
    expect(r.code).toBe(ExitCode.DATA);
    expect(r.code).toBe(65);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^INVALID_ARGUMENT: the argument does not match the input schema shop\.order publishes; not sent\n/);
    expect(JSON.parse(r.stderr.slice(r.stderr.indexOf('\n') + 1))).toEqual({
      issues: [
        { path: ['sku'], message: 'String does not match pattern.' },
        { path: ['qty'], message: 'Instance type "string" is invalid. Expected "integer".' },
      ],
    });
    expect(orders).toBe(before);
    // The lookup only (an idempotent describe may run twice when address validation replays it), never the order.
    expect([...new Set(dispatched)]).toEqual(['udprpc.describe']);
  });

  it('sends a matching argument', async () => {
    const r = await runCli(['call', url, 'shop.order', '{"sku":"ABC","qty":2}']);
    expect(r).toEqual({ code: 0, stdout: '20\n', stderr: '' });
  });

  it('--no-check sends it anyway: the server refuses it with its own issues', async () => {
    const before = orders;
    const r = await runCli(['call', url, 'shop.order', '{"sku":"ab","qty":2}', '--no-check']);
    expect(r.code).toBe(exitCodeForRpcError('INVALID_ARGUMENT'));
    expect(r.stderr).toMatch(/^INVALID_ARGUMENT: the argument of shop\.order is invalid at sku: /);
    expect(JSON.parse(r.stderr.slice(r.stderr.indexOf('\n') + 1))).toEqual({
      issues: [{ path: ['sku'], message: 'Invalid string: must match pattern /^[A-Z]{3}$/' }],
    });
    expect(orders).toBe(before);
  });

  it('without introspection there is nothing to check against: the server decides', async () => {
    const r = await runCli(['call', hiddenUrl, 'shop.order', '{"sku":"ab","qty":2}']);
    expect(r.code).toBe(exitCodeForRpcError('INVALID_ARGUMENT'));
    expect(r.stderr).toMatch(/^INVALID_ARGUMENT: the argument of shop\.order is invalid/);
    const ok = await runCli(['call', hiddenUrl, 'shop.ping']);
    expect(ok).toEqual({ code: 0, stdout: '"pong"\n', stderr: '' });
  });
});
