// The server validates each argument against the method's input schema before
// the handler runs, and each result against the output schema before it is
// sent (issue 16). The client's own check is off here (`validate: false`),
// so what is seen is the server's.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineContract, method, OutputValidationError, type StandardSchemaV1 } from 'udprpc';
import { rejection, startSchemaRpc } from './schema-rpc.js';

const Add = z.object({ a: z.number(), b: z.number() });

/** A Standard Schema whose verdicts wait for `release()`: an asynchronous validator the test controls. */
function gatedSchema(accept: (value: unknown) => boolean): StandardSchemaV1<number, number> & { release(): void; pending: number } {
  let open: () => void = () => undefined;
  let gate = new Promise<void>((resolve) => (open = resolve));
  const schema = {
    pending: 0,
    release() {
      open();
      gate = new Promise<void>((resolve) => (open = resolve));
    },
    '~standard': {
      version: 1 as const,
      vendor: 'test',
      validate: async (value: unknown): Promise<StandardSchemaV1.Result<number>> => {
        schema.pending++;
        await gate;
        schema.pending--;
        return accept(value) ? { value: value as number } : { issues: [{ message: 'rejected by the gate', path: [{ key: 'n' }] }] };
      },
    },
  };
  return schema;
}

describe('server-side validation', () => {
  it('an invalid argument is INVALID_ARGUMENT with details.issues, and the handler does not run', async () => {
    const contract = defineContract('calc', { add: method({ input: Add, output: z.number() }) });
    let runs = 0;
    const rpc = await startSchemaRpc(contract, { add: ({ a, b }) => (runs++, a + b) }, { client: { validate: false } });
    const bad = { a: 'x', b: [1] } as unknown as { a: number; b: number };
    const [wrong, missing, good] = await rpc.settle([rpc.stub.add(bad), rpc.stub.add(undefined as never), rpc.stub.add({ a: 2, b: 3 })]);
    expect(rejection(wrong)).toEqual({
      code: 'INVALID_ARGUMENT',
      remote: true,
      message: 'the argument of calc.add is invalid at a: Invalid input: expected number, received string (and 1 more)',
      details: {
        issues: [
          { path: ['a'], message: 'Invalid input: expected number, received string' },
          { path: ['b'], message: 'Invalid input: expected number, received array' },
        ],
      },
    });
    // Before issue 16 a missing argument crashed the handler (INTERNAL).
    expect(rejection(missing)).toMatchObject({
      code: 'INVALID_ARGUMENT',
      remote: true,
      details: { issues: [{ path: [], message: 'Invalid input: expected object, received undefined' }] },
    });
    expect(good).toEqual({ status: 'fulfilled', value: 5 });
    expect(runs).toBe(1);
    expect(rpc.errors).toEqual([]);
    expect(rpc.server.stats().handlerErrors).toBe(0);
  });

  it('the handler gets the validated, transformed value (defaults filled in, unknown keys stripped)', async () => {
    const contract = defineContract('text', {
      shout: method({ input: z.object({ text: z.string().transform((s) => s.trim()), times: z.number().int().default(2) }), output: z.string() }),
    });
    const seen: unknown[] = [];
    const rpc = await startSchemaRpc(contract, {
      shout: (input) => {
        seen.push(input);
        return input.text.toUpperCase().repeat(input.times);
      },
    });
    const extra = { text: '  hi ', extra: true } as { text: string };
    const [r] = await rpc.settle([rpc.stub.shout(extra)]);
    expect(r).toEqual({ status: 'fulfilled', value: 'HIHI' });
    expect(seen).toEqual([{ text: 'hi', times: 2 }]);
  });

  it('a result that fails the output schema is INTERNAL for the caller and an error event for the operator', async () => {
    const contract = defineContract('calc', { half: method({ input: z.number(), output: z.number().int() }) });
    const rpc = await startSchemaRpc(contract, { half: (n) => n / 2 });
    const [odd, even] = await rpc.settle([rpc.stub.half(3), rpc.stub.half(4)]);
    expect(rejection(odd)).toEqual({ code: 'INTERNAL', remote: true, message: 'internal error', details: undefined });
    expect(even).toEqual({ status: 'fulfilled', value: 2 });
    expect(rpc.errors).toHaveLength(1);
    const error = rpc.errors[0]!;
    expect(error).toBeInstanceOf(OutputValidationError);
    expect((error as OutputValidationError).method).toBe('calc.half');
    expect((error as OutputValidationError).issues).toEqual([{ path: [], message: 'Invalid input: expected int, received number' }]);
    expect(rpc.server.stats().handlerErrors).toBe(1);
  });

  it('the output schema’s transform is applied before sending: the caller gets the schema output', async () => {
    const contract = defineContract('fmt', { price: method({ input: z.number(), output: z.number().transform((n) => `${n.toFixed(2)} EUR`) }) });
    const rpc = await startSchemaRpc(contract, { price: async (n) => n * 2 });
    const [r] = await rpc.settle([rpc.stub.price(1.5)]);
    expect(r).toEqual({ status: 'fulfilled', value: '3.00 EUR' });
  });

  it('asynchronous validators work for input and output, in both verdicts', async () => {
    const input = gatedSchema((v) => typeof v === 'number' && v >= 0);
    const output = gatedSchema((v) => typeof v === 'number' && v < 100);
    const contract = defineContract('calc', { sqrt: method({ input, output }) });
    const runs: number[] = [];
    const rpc = await startSchemaRpc(contract, { sqrt: (n) => (runs.push(n), n === 400 ? 400 : Math.sqrt(n)) }, { client: { validate: false } });
    const calls = [rpc.stub.sqrt(16), rpc.stub.sqrt(-1), rpc.stub.sqrt(400)];
    await rpc.clock.runFor(5);
    expect(input.pending).toBe(3); // arrived, waiting on the validator; no handler yet
    expect(runs).toEqual([]);
    input.release();
    await rpc.clock.runFor(0);
    expect(runs).toEqual([16, 400]);
    expect(output.pending).toBe(2);
    output.release();
    const [ok, bad, tooBig] = await rpc.settle(calls);
    expect(ok).toEqual({ status: 'fulfilled', value: 4 });
    expect(rejection(bad)).toMatchObject({ code: 'INVALID_ARGUMENT', remote: true, details: { issues: [{ path: ['n'], message: 'rejected by the gate' }] } });
    expect(rejection(tooBig)).toMatchObject({ code: 'INTERNAL', remote: true });
    expect(rpc.errors.map((e) => e.name)).toEqual(['OutputValidationError']);
  });

  it('a call whose deadline passes while its async validator runs never reaches the handler', async () => {
    const input = gatedSchema(() => true);
    const contract = defineContract('calc', { id: method({ input, output: z.number() }) });
    let runs = 0;
    const rpc = await startSchemaRpc(contract, { id: (n) => (runs++, n) }, { client: { validate: false } });
    const [late] = await rpc.settle([rpc.stub.id(1, { timeoutMs: 50 })]);
    expect(rejection(late).code).toBe('DEADLINE_EXCEEDED');
    await rpc.clock.runFor(100); // the server's copy of the deadline passes too
    input.release();
    await rpc.clock.runFor(10);
    expect(runs).toBe(0);
    // The same call in time runs: the gate itself does not stop handlers.
    const again = rpc.stub.id(2);
    await rpc.clock.runFor(5);
    input.release();
    expect(await rpc.settle([again])).toEqual([{ status: 'fulfilled', value: 2 }]);
    expect(runs).toBe(1);
  });

  it('with a synchronous schema and handler the reply leaves within the receive: no Promise per call', async () => {
    const sync = defineContract('calc', { add: method({ input: Add, output: z.number() }) });
    // Without coalescing the server sends at once instead of at the end of its job (a microtask).
    const rpc = await startSchemaRpc(sync, { add: ({ a, b }) => a + b }, { server: { coalesce: false } });
    const call = rpc.stub.add({ a: 1, b: 2 });
    await Promise.resolve(); // the client's frames leave at the end of its job
    expect(rpc.sent).toEqual({ client: 1, server: 0 });
    rpc.clock.advance(1); // delivers the request, synchronously
    expect(rpc.sent.server).toBe(1); // answered before any microtask ran
    expect(await rpc.settle([call])).toEqual([{ status: 'fulfilled', value: 3 }]);

    // An async schema does need a microtask turn: the same oracle tells them apart.
    const resolved: StandardSchemaV1<number> = { '~standard': { version: 1, vendor: 'test', validate: async (value) => ({ value: value as number }) } };
    const asyncRpc = await startSchemaRpc(defineContract('calc', { id: method({ input: resolved }) }), { id: () => undefined }, { server: { coalesce: false } });
    const slow = asyncRpc.stub.id(1);
    await Promise.resolve();
    asyncRpc.clock.advance(1);
    expect(asyncRpc.sent.server).toBe(0);
    expect(await asyncRpc.settle([slow])).toEqual([{ status: 'fulfilled', value: undefined }]);
    expect(asyncRpc.sent.server).toBe(1);
  });

  it('runs inside the interceptors: they see the refusal, and an input they replace is what gets validated', async () => {
    const contract = defineContract('calc', { add: method({ input: Add, output: z.number() }) });
    const outcomes: string[] = [];
    const rpc = await startSchemaRpc(contract, { add: ({ a, b }) => a + b }, {
      client: { validate: false },
      server: {
        interceptors: [
          (next) => async (req) => {
            // Fills in a missing b before validation sees the argument.
            const input = req.input as { a?: unknown; b?: unknown };
            if (input.a === 'fix') req.input = { a: 1, b: 1 };
            try {
              const out = await next(req);
              outcomes.push(`ok ${String(out)}`);
              return out;
            } catch (e) {
              outcomes.push((e as { code: string }).code);
              throw e;
            }
          },
        ],
      },
    });
    const fixable = { a: 'fix' } as unknown as { a: number; b: number };
    const broken = { a: 'broken' } as unknown as { a: number; b: number };
    const [fixed, refused] = await rpc.settle([rpc.stub.add(fixable), rpc.stub.add(broken)]);
    expect(fixed).toEqual({ status: 'fulfilled', value: 2 });
    expect(rejection(refused).code).toBe('INVALID_ARGUMENT');
    expect(outcomes).toEqual(['ok 2', 'INVALID_ARGUMENT']);
  });
});
