import { afterEach, describe, expect, it, vi } from 'vitest';
import { createClient, type ClientInterceptor } from '@udprpc/client';
import { Metadata, RpcError } from '@udprpc/core';
import { createRandom, settleAll } from '@udprpc/testkit';
import { allChannels, obs, recordAll, startRig, type Recorded, type Rig } from './helpers.js';

// docs/observability.md: the events each channel publishes, their order and
// their fields, on a simulated network with a virtual clock.

let rig: Rig | undefined;
let recorder: ReturnType<typeof recordAll> | undefined;
afterEach(async () => {
  recorder?.stop();
  recorder = undefined;
  vi.restoreAllMocks();
  await rig?.close();
  rig = undefined;
});

const names = (events: readonly Recorded[]): string[] => events.map((e) => e.event);
const only = (events: readonly Recorded[], prefix: string): Recorded[] => events.filter((e) => e.event.startsWith(prefix));

describe('udprpc:client:call and udprpc:server:call', () => {
  it('a successful call: start, end, asyncStart, asyncEnd on each side, with exact fields', async () => {
    rig = await startRig();
    await rig.client.connect();
    recorder = recordAll();
    const stub = rig.client.stub(obs);
    const [r] = await settleAll(rig.clock, [stub.add({ a: 1, b: 2 })]);
    expect(r).toEqual({ status: 'fulfilled', value: 3 });
    const { events } = recorder;
    expect(names(events)).toEqual([
      'client:call:start',
      'client:call:end',
      // The handler answers within the server's dispatch: its outcome follows `end`.
      'server:call:start',
      'server:call:end',
      'server:call:asyncStart',
      'server:call:asyncEnd',
      'client:call:asyncStart',
      'client:call:asyncEnd',
    ]);
    // A call without metadata: the client's message has an empty plain object, the server's the empty Metadata.
    const client = { service: 'obs', method: 'add', peer: rig.serverAddress, metadata: {} };
    expect(events[0]!.fields).toEqual({ ...client, attempts: 0 });
    expect(events[1]!.fields).toEqual({ ...client, attempts: 0 });
    expect(events[6]!.fields).toEqual({ ...client, attempts: 1, code: 'OK', result: 3 });
    expect(events[7]!.fields).toEqual({ ...client, attempts: 1, code: 'OK', result: 3 });
    const server = { service: 'obs', method: 'add', peer: rig.clientAddress, metadata: Metadata.EMPTY };
    expect(events[2]!.fields).toEqual(server);
    expect(events[3]!.fields).toEqual(server);
    expect(events[4]!.fields).toEqual({ ...server, code: 'OK' });
    // One context object per call and side, in all its events.
    expect(new Set(only(events, 'client:').map((e) => e.message)).size).toBe(1);
    expect(new Set(only(events, 'server:').map((e) => e.message)).size).toBe(1);
  });

  it('an async handler: the server publishes its outcome when the handler settles', async () => {
    rig = await startRig();
    await rig.client.connect();
    recorder = recordAll();
    const [r] = await settleAll(rig.clock, [rig.client.stub(obs).wait(5)]);
    expect(r).toEqual({ status: 'fulfilled', value: 5 });
    expect(names(only(recorder.events, 'server:'))).toEqual(['server:call:start', 'server:call:end', 'server:call:asyncStart', 'server:call:asyncEnd']);
    expect(only(recorder.events, 'server:')[2]!.fields).toEqual({ service: 'obs', method: 'wait', peer: rig.clientAddress, metadata: Metadata.EMPTY, code: 'OK' });
  });

  it('a remote error: error before asyncStart on both sides, with the code and the RpcError', async () => {
    rig = await startRig();
    await rig.client.connect();
    recorder = recordAll();
    const [r] = await settleAll(rig.clock, [rig.client.stub(obs).refuse(4)]);
    expect(r.status).toBe('rejected');
    const { events } = recorder;
    expect(names(events)).toEqual([
      'client:call:start',
      'client:call:end',
      'server:call:start',
      'server:call:end',
      'server:call:error',
      'server:call:asyncStart',
      'server:call:asyncEnd',
      'client:call:error',
      'client:call:asyncStart',
      'client:call:asyncEnd',
    ]);
    const serverError = events[4]!.fields;
    expect(serverError).toMatchObject({ service: 'obs', method: 'refuse', peer: rig.clientAddress, code: 'FAILED_PRECONDITION' });
    expect(serverError.error).toBeInstanceOf(RpcError);
    expect((serverError.error as RpcError).message).toBe('refused 4');
    const clientError = events[7]!.fields;
    expect(Object.keys(clientError).sort()).toEqual(['attempts', 'code', 'error', 'metadata', 'method', 'peer', 'service']);
    expect(clientError).toMatchObject({ service: 'obs', method: 'refuse', peer: rig.serverAddress, attempts: 1, code: 'FAILED_PRECONDITION' });
    // The error the caller got, details decoded.
    expect(clientError.error).toBe((r as PromiseRejectedResult).reason);
    expect((clientError.error as RpcError).remote).toBe(true);
    expect((clientError.error as RpcError).details).toEqual({ n: 4 });
  });

  it('an unknown method: the server traces it with the name split at its last dot and NOT_FOUND', async () => {
    rig = await startRig();
    await rig.client.connect();
    recorder = recordAll();
    const [r] = await settleAll(rig.clock, [rig.client.call('obs.v2', 'nope', 1)]);
    expect(r.status).toBe('rejected');
    const server = only(recorder.events, 'server:');
    expect(names(server)).toEqual(['server:call:start', 'server:call:end', 'server:call:error', 'server:call:asyncStart', 'server:call:asyncEnd']);
    expect(server[2]!.fields).toMatchObject({ service: 'obs.v2', method: 'nope', code: 'NOT_FOUND' });
    expect((server[2]!.fields.error as RpcError).code).toBe('NOT_FOUND');
  });

  it('a local timeout: retransmits between end and error, attempts = 1 + retransmits, DEADLINE_EXCEEDED not remote', async () => {
    rig = await startRig();
    // A second client whose peer never answers (a sim address nobody listens on).
    const silent = rig.network.endpoint();
    const nowhere = rig.network.endpoint().address;
    const client = createClient({ transport: silent, clock: rig.clock, random: createRandom(9), peer: nowhere, timeoutMs: 1000 });
    await client.connect();
    recorder = recordAll();
    const [r] = await settleAll(rig.clock, [client.stub(obs).add({ a: 1, b: 1 })]);
    await client.close();
    expect(r.status).toBe('rejected');
    const { events } = recorder;
    const retransmits = events.filter((e) => e.event === 'client:retransmit');
    const n = retransmits.length;
    expect(n).toBe(client.stats().retransmits);
    expect(n).toBeGreaterThan(1);
    expect(names(events)).toEqual([
      'client:call:start',
      'client:call:end',
      ...Array<string>(n).fill('client:retransmit'),
      'client:call:error',
      'client:call:asyncStart',
      'client:call:asyncEnd',
    ]);
    retransmits.forEach((e, i) => {
      expect(Object.keys(e.fields).sort()).toEqual(['attempt', 'id', 'peer', 'rtoMs']);
      expect(e.fields).toMatchObject({ id: retransmits[0]!.fields.id, peer: nowhere, attempt: i + 1 });
    });
    const error = events[2 + n]!.fields;
    expect(error).toMatchObject({ service: 'obs', method: 'add', peer: nowhere, attempts: n + 1, code: 'DEADLINE_EXCEEDED' });
    expect((error.error as RpcError).remote).toBe(false);
  });

  it('attempts sum the transmissions of every `next` an interceptor makes', async () => {
    const retryOnce: ClientInterceptor = (next) => async (req) => {
      try {
        return await next(req);
      } catch {
        return next({ ...req });
      }
    };
    rig = await startRig({ client: { interceptors: [retryOnce] } });
    await rig.client.connect();
    recorder = recordAll();
    await settleAll(rig.clock, [rig.client.stub(obs).refuse(1)]);
    const last = only(recorder.events, 'client:call:asyncEnd')[0]!;
    expect(last.fields).toMatchObject({ attempts: 2, code: 'FAILED_PRECONDITION' });
  });
});

describe('udprpc:client:pushback, udprpc:client:drop, udprpc:server:drop', () => {
  it('pushback: a refused call publishes id, peer, attempt and retry-after', async () => {
    rig = await startRig({ server: { admission: { maxRunning: 1, maxQueued: 0, retryAfterMs: 50 } } });
    await rig.client.connect();
    recorder = recordAll();
    const stub = rig.client.stub(obs);
    const results = await settleAll(rig.clock, [stub.wait(120), stub.wait(1)]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled']);
    const pushbacks = recorder.events.filter((e) => e.event === 'client:pushback');
    expect(pushbacks.length).toBe(rig.client.stats().pushbacks);
    expect(pushbacks.length).toBeGreaterThan(0);
    expect(Object.keys(pushbacks[0]!.fields).sort()).toEqual(['attempt', 'id', 'peer', 'retryAfterMs']);
    expect(pushbacks[0]!.fields).toMatchObject({ peer: rig.serverAddress, attempt: 1, retryAfterMs: 50 });
  });

  it('drops: garbage to either side publishes the reason and the sender', async () => {
    rig = await startRig();
    await rig.client.connect();
    recorder = recordAll();
    const attacker = rig.network.endpoint();
    await attacker.listen(() => {}, () => {});
    attacker.send(new Uint8Array([1, 2, 3]), rig.serverAddress);
    attacker.send(new Uint8Array([1, 2, 3]), rig.clientAddress);
    await rig.clock.runUntil(rig.clock.now() + 10);
    await attacker.close();
    expect(recorder.events.map((e) => [e.event, e.fields])).toEqual([
      ['server:drop', { reason: 'truncated', peer: attacker.address }],
      ['client:drop', { reason: 'truncated', peer: attacker.address }],
    ]);
    expect(rig.server.stats().drops).toEqual({ truncated: 1 });
    expect(rig.client.stats().drops).toEqual({ truncated: 1 });
  });
});

describe('nobody subscribed', () => {
  it('publishes nothing and attaches no call message to requests', async () => {
    const spies = allChannels().flatMap((ch) => [vi.spyOn(ch, 'publish'), vi.spyOn(ch, 'runStores')]);
    // What the innermost step sees: the request's symbol-keyed slots (the trace slot stays empty).
    const slots: unknown[] = [];
    const peek: ClientInterceptor = (next) => (req) => {
      const trace = Object.getOwnPropertySymbols(req).find((s) => s.description === 'udprpc.trace');
      slots.push(trace === undefined ? 'no slot' : (req as unknown as Record<symbol, unknown>)[trace]);
      return next(req);
    };
    rig = await startRig({ client: { interceptors: [peek] } });
    const stub = rig.client.stub(obs);
    const results = await settleAll(rig.clock, [stub.add({ a: 1, b: 2 }), stub.refuse(1), stub.wait(3)]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    const attacker = rig.network.endpoint();
    await attacker.listen(() => {}, () => {});
    attacker.send(new Uint8Array([1]), rig.serverAddress);
    attacker.send(new Uint8Array([1]), rig.clientAddress);
    await rig.clock.runUntil(rig.clock.now() + 10);
    await attacker.close();
    expect(rig.server.stats().drops).toEqual({ truncated: 1 });
    expect(slots).toEqual([undefined, undefined, undefined]);
    expect(spies.map((s) => s.mock.calls.length)).toEqual(spies.map(() => 0));

    // The same run with a subscriber: the spies see it (the oracle can fail).
    recorder = recordAll();
    await settleAll(rig.clock, [stub.add({ a: 1, b: 2 })]);
    expect(slots.length).toBe(4);
    expect(slots[3]).toMatchObject({ service: 'obs', method: 'add' });
    expect(spies.reduce((sum, s) => sum + s.mock.calls.length, 0)).toBeGreaterThan(0);
  });
});
