// The client validates each argument against the input schema before sending
// (on by default; `validate: false` turns it off), with the server's error
// shape, and optionally each reply against the output schema (issue 16).
import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineContract, method, RpcError } from 'udprpc';
import { rejection, startSchemaRpc } from './schema-rpc.js';

const Add = z.object({ a: z.number(), b: z.number() });
const calc = defineContract('calc', {
  add: method({ input: Add, output: z.number() }),
  log: method({ input: v.object({ line: v.pipe(v.string(), v.maxLength(5)) }) }),
});

describe('client-side validation', () => {
  it('rejects an invalid argument locally with the server’s error shape, and sends nothing', async () => {
    let runs = 0;
    const rpc = await startSchemaRpc(calc, { add: ({ a, b }) => (runs++, a + b), log: () => undefined });
    const bad = { a: 1, b: '2' } as unknown as { a: number; b: number };
    const [local] = await rpc.settle([rpc.stub.add(bad)]);
    expect(rejection(local)).toEqual({
      code: 'INVALID_ARGUMENT',
      remote: false,
      message: 'the argument of calc.add is invalid at b: Invalid input: expected number, received string',
      details: { issues: [{ path: ['b'], message: 'Invalid input: expected number, received string' }] },
    });
    expect(rpc.sent.client).toBe(0);
    expect(rpc.client.stats().calls).toBe(0);
    expect(runs).toBe(0);
    // A valid call goes through, with the original value.
    expect(await rpc.settle([rpc.stub.add({ a: 1, b: 2 })])).toEqual([{ status: 'fulfilled', value: 3 }]);
    expect(rpc.sent.client).toBe(1);
  });

  it('validate: false sends it, and the server answers with the same issues (remote)', async () => {
    const rpc = await startSchemaRpc(calc, { add: ({ a, b }) => a + b, log: () => undefined }, { client: { validate: false } });
    const bad = { a: 1, b: '2' } as unknown as { a: number; b: number };
    const [remote] = await rpc.settle([rpc.stub.add(bad)]);
    expect(rejection(remote)).toEqual({
      code: 'INVALID_ARGUMENT',
      remote: true,
      message: 'the argument of calc.add is invalid at b: Invalid input: expected number, received string',
      details: { issues: [{ path: ['b'], message: 'Invalid input: expected number, received string' }] },
    });
    expect(rpc.client.stats().calls).toBe(1);
  });

  it('notify() is checked too (valibot issues, path keys flattened)', async () => {
    const lines: string[] = [];
    const rpc = await startSchemaRpc(calc, { add: ({ a, b }) => a + b, log: ({ line }) => void lines.push(line) });
    const error = await rpc.stub.log.notify({ line: 'far too long' }).catch((e: unknown) => e);
    expect(RpcError.is(error) && error.code).toBe('INVALID_ARGUMENT');
    expect((error as RpcError).details).toEqual({ issues: [{ path: ['line'], message: 'Invalid length: Expected <=5 but received 12' }] });
    expect(rpc.sent.client).toBe(0);
    await rpc.stub.log.notify({ line: 'ok' });
    await rpc.clock.runFor(5);
    expect(lines).toEqual(['ok']);
  });

  it('validateOutput: a reply that breaks the client’s output schema rejects with INTERNAL and the issues', async () => {
    // The server was built from an older contract: `add` returns a string.
    const old = defineContract('calc', { add: method<{ a: number; b: number }, string>() });
    const opts = { clientContract: calc, client: { validateOutput: true } };
    const rpc = await startSchemaRpc(old, { add: ({ a, b }) => `${a + b}` }, opts);
    const [r] = await rpc.settle([rpc.stub.add({ a: 1, b: 2 })]);
    expect(rejection(r)).toEqual({
      code: 'INTERNAL',
      remote: false,
      message: 'the reply of calc.add does not match its output schema: Invalid input: expected number, received string',
      details: { issues: [{ path: [], message: 'Invalid input: expected number, received string' }] },
    });
    // Off by default: the same reply is handed over as it came.
    const lax = await startSchemaRpc(old, { add: ({ a, b }) => `${a + b}` }, { clientContract: calc });
    expect(await lax.settle([lax.stub.add({ a: 1, b: 2 })])).toEqual([{ status: 'fulfilled', value: '3' }]);
  });

  it('group calls are checked before anything is sent', async () => {
    const rpc = await startSchemaRpc(calc, { add: ({ a, b }) => a + b, log: () => undefined });
    const group = rpc.client.group(calc);
    const collect = async (input: { a: number; b: number }): Promise<unknown[]> => {
      const replies: unknown[] = [];
      for await (const reply of group.add(input, { collectMs: 20 })) replies.push(reply.ok ? reply.result : reply.error.code);
      return replies;
    };
    const bad = { a: 1, b: null } as unknown as { a: number; b: number };
    const [refused] = await rpc.settle([collect(bad)]);
    expect(rejection(refused)).toMatchObject({
      code: 'INVALID_ARGUMENT',
      remote: false,
      details: { issues: [{ path: ['b'], message: 'Invalid input: expected number, received null' }] },
    });
    expect(rpc.sent.client).toBe(0);
    expect(await rpc.settle([collect({ a: 2, b: 2 })])).toEqual([{ status: 'fulfilled', value: [4] }]);
  });

  it('validation happens before the client interceptors: they see only calls that are sent', async () => {
    const seen: string[] = [];
    const rpc = await startSchemaRpc(calc, { add: ({ a, b }) => a + b, log: () => undefined }, {
      client: { interceptors: [(next) => (req) => (seen.push(JSON.stringify(req.input)), next(req))] },
    });
    await rpc.settle([rpc.stub.add({ a: 1, b: '2' } as never), rpc.stub.add({ a: 1, b: 2 })]);
    expect(seen).toEqual(['{"a":1,"b":2}']);
  });
});
