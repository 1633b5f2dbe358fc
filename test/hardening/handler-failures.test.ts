// Issue 11.8: handler failures are visible by default. With no `error`
// listener, a handler that throws something other than an RpcError, or whose
// result the codec cannot encode, becomes a rate-limited warning naming the
// service, method and caller, with the original error as `cause`; both are
// counted in stats(). Nothing else is logged (CONVENTIONS §18). Before the fix
// both left no trace without a listener, and the second was not even counted.
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  createClient,
  createServer,
  defineContract,
  HandlerFailureWarning,
  method,
  RpcError,
  type FailedCall,
  type WarningOptions,
} from 'udprpc';
import { SimNetwork, VirtualClock, createRandom, settleAll } from '@udprpc/testkit';

const faulty = defineContract('faulty', {
  crash: method<{ n: number }, number>(),
  /** Returns a function: msgpack cannot encode it. */
  unencodable: method<null, number>(),
  /** Throws a typed error whose details msgpack cannot encode. */
  badDetails: method<null, number>(),
  typed: method<null, number>(),
  fine: method<null, number>(),
});

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
  vi.restoreAllMocks();
});

async function setUp(warnings?: WarningOptions | false, listen?: (error: Error, call?: FailedCall) => void) {
  const clock = new VirtualClock();
  const net = new SimNetwork({ clock, seed: 8, defaults: { delayMs: 1 } });
  const server = createServer({ transport: net.endpoint('server'), clock, ...(warnings === undefined ? {} : { warnings }) });
  if (listen) server.on('error', listen);
  server.implement(faulty, {
    crash: ({ n }) => {
      throw new Error(`boom ${n}`);
    },
    unencodable: () => (() => 1) as unknown as number,
    badDetails: () => {
      throw new RpcError('FAILED_PRECONDITION', 'no', { details: { fn: () => 1 } });
    },
    typed: () => {
      throw new RpcError('NOT_FOUND', 'nothing here');
    },
    fine: () => 1,
  });
  closers.push(() => server.close());
  const address = await server.listen();
  const ep = net.endpoint('client');
  const client = createClient({ transport: ep, peer: address, clock, random: createRandom(3) });
  closers.push(() => client.close());
  return { clock, server, stub: client.stub(faulty), ep };
}

const codeOf = (r: PromiseSettledResult<unknown>): string => (r.status === 'fulfilled' ? 'ok' : RpcError.is(r.reason) ? r.reason.code : 'not an RpcError');

describe('handler failures without an error listener (issue 11.8)', () => {
  it('a throwing handler and an unencodable result each give one warning with service, method, peer and cause, and are counted', async () => {
    const seen: Error[] = [];
    const { clock, server, stub, ep } = await setUp({ emit: (w) => seen.push(w) });
    const results = await settleAll(clock, [stub.crash({ n: 1 }), stub.unencodable(null), stub.badDetails(null)]);
    expect(results.map(codeOf)).toEqual(['INTERNAL', 'INTERNAL', 'FAILED_PRECONDITION']);
    expect(seen).toHaveLength(3);
    expect(seen.every((w) => w instanceof HandlerFailureWarning && w.name === 'UdprpcWarning')).toBe(true);
    const [crash, unencodable, badDetails] = seen as HandlerFailureWarning[];
    expect(crash).toMatchObject({ service: 'faulty', method: 'crash', peer: ep.address });
    expect((crash!.cause as Error).message).toBe('boom 1');
    expect(crash!.message).toContain('faulty.crash');
    expect(crash!.message).toContain('Error: boom 1');
    expect(unencodable).toMatchObject({ service: 'faulty', method: 'unencodable', peer: ep.address });
    expect(unencodable!.cause).toBeInstanceOf(TypeError);
    expect(unencodable!.message).toContain('cannot encode');
    expect(badDetails).toMatchObject({ service: 'faulty', method: 'badDetails' });
    expect(server.stats()).toMatchObject({ handlerErrors: 1, replyEncodeErrors: 2, warningsSuppressed: 0 });
  });

  it('at most 10 warnings a minute; the next one after that counts the ones held back', async () => {
    const seen: Error[] = [];
    const { clock, server, stub } = await setUp({ emit: (w) => seen.push(w) });
    const results = await settleAll(clock, Array.from({ length: 25 }, (_, n) => stub.crash({ n })));
    expect(results.map(codeOf)).toEqual(Array(25).fill('INTERNAL'));
    expect(seen).toHaveLength(10);
    expect(server.stats()).toMatchObject({ handlerErrors: 25, warningsSuppressed: 15 });
    await clock.runFor(60_000);
    await settleAll(clock, [stub.crash({ n: 99 })]);
    expect(seen).toHaveLength(11);
    expect(seen[10]!.message).toMatch(/boom 99 \(15 similar warnings suppressed before this one\)$/);
  });

  it('by default the warning is a process warning; successes and typed errors log nothing', async () => {
    const emitWarning = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    const log = vi.spyOn(console, 'log');
    const warn = vi.spyOn(console, 'warn');
    const error = vi.spyOn(console, 'error');
    const { clock, stub } = await setUp();
    const quiet = await settleAll(clock, [stub.fine(null), stub.typed(null)]);
    expect(quiet.map(codeOf)).toEqual(['ok', 'NOT_FOUND']);
    expect(emitWarning).not.toHaveBeenCalled();
    await settleAll(clock, [stub.crash({ n: 2 })]);
    expect(emitWarning).toHaveBeenCalledTimes(1);
    expect(emitWarning.mock.calls[0]![0]).toBeInstanceOf(HandlerFailureWarning);
    expect([log, warn, error].map((spy) => spy.mock.calls.length)).toEqual([0, 0, 0]);
  });

  it('warnings: false is silent but still counts', async () => {
    const emitWarning = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    const { clock, server, stub } = await setUp(false);
    await settleAll(clock, [stub.crash({ n: 1 }), stub.unencodable(null)]);
    expect(emitWarning).not.toHaveBeenCalled();
    expect(server.stats()).toMatchObject({ handlerErrors: 1, replyEncodeErrors: 1, warningsSuppressed: 0 });
  });

  it('with an error listener: the listener gets the original error and the call, and no warning is emitted', async () => {
    const seen: Error[] = [];
    const heard: [Error, FailedCall | undefined][] = [];
    const { clock, stub, ep } = await setUp({ emit: (w) => seen.push(w) }, (e, call) => heard.push([e, call]));
    await settleAll(clock, [stub.crash({ n: 3 }), stub.unencodable(null)]);
    expect(seen).toEqual([]);
    expect(heard.map(([e, call]) => [e.message.slice(0, 6), call])).toEqual([
      ['boom 3', { service: 'faulty', method: 'crash', peer: ep.address }],
      [expect.any(String), { service: 'faulty', method: 'unencodable', peer: ep.address }],
    ]);
    expect(heard[1]![0]).toBeInstanceOf(TypeError);
  });
});
