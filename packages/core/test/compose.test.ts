// compose() (issue 13): the one composition of the client's and the server's
// interceptor chains. Order, short-circuit, and errors thrown or rejected by
// a layer, exactly (test/host/compose-both.test.ts: both packages use it).
import { describe, expect, it } from 'vitest';
import { compose, type Interceptor, type Next } from '../src/interceptors/compose.js';

type Req = { path: string[] };

const tracer =
  (name: string, log: string[]): Interceptor<Req> =>
  (next) =>
  async (req) => {
    log.push(`${name} >`);
    try {
      const result = await next({ path: [...req.path, name] });
      log.push(`${name} < ${String(result)}`);
      return result;
    } catch (e) {
      log.push(`${name} ! ${(e as Error).message}`);
      throw e;
    }
  };

describe('compose', () => {
  it('the first interceptor is the outermost; each sees what the one before passed on', async () => {
    const log: string[] = [];
    const last: Next<Req> = async (req) => req.path.join('/');
    const run = compose([tracer('a', log), tracer('b', log), tracer('c', log)], last);
    expect(await run({ path: [] })).toBe('a/b/c');
    expect(log).toEqual(['a >', 'b >', 'c >', 'c < a/b/c', 'b < a/b/c', 'a < a/b/c']);
  });

  it('a layer that answers without calling next short-circuits: the inner layers and last never run', async () => {
    const log: string[] = [];
    let lastRan = 0;
    const cached: Interceptor<Req> = () => async () => 'cached';
    const run = compose([tracer('a', log), cached, tracer('c', log)], async () => String(++lastRan));
    expect(await run({ path: [] })).toBe('cached');
    expect(log).toEqual(['a >', 'a < cached']);
    expect(lastRan).toBe(0);
  });

  it('an error rejected inside travels out through every outer layer, unchanged', async () => {
    const log: string[] = [];
    const boom = new Error('boom');
    const run = compose([tracer('a', log), tracer('b', log)], () => Promise.reject(boom));
    await expect(run({ path: [] })).rejects.toBe(boom);
    expect(log).toEqual(['a >', 'b >', 'b ! boom', 'a ! boom']);
  });

  it('a layer that throws synchronously (not async) yields a rejected promise, not a throw', async () => {
    const thrown = new TypeError('sync');
    const throwing: Interceptor<Req> = () => () => {
      throw thrown;
    };
    const passThrough: Interceptor<Req> = (next) => (req) => next(req);
    const run = compose<Req, unknown>([passThrough, throwing], async () => 'unreached');
    let result: Promise<unknown> | undefined;
    expect(() => (result = run({ path: [] }))).not.toThrow();
    await expect(result).rejects.toBe(thrown);
  });

  it('with no interceptors it is last itself', () => {
    const last: Next<Req> = async () => 'x';
    expect(compose([], last)).toBe(last);
  });
});
