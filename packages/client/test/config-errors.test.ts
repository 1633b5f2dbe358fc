// Configuration errors of createClient (issue 13): a wrong option type or
// shape is a TypeError, a value of the right type out of range a
// RangeError, thrown by createClient itself and naming the option. Before,
// both/neither of peer and peers was an RpcError INVALID_ARGUMENT, and most
// other options were not checked until a call used them (or never).
import { describe, expect, it } from 'vitest';
import { RpcError, type PeerAddress } from '@udprpc/core';
import { createClient, type ClientOptions } from '@udprpc/client';
import { createMemoryNetwork } from '@udprpc/testkit';
import { expectConfigError, type ConfigErrorClass } from '../../../test/helpers/config-errors.js';

const net = createMemoryNetwork();
const peer: PeerAddress = { address: 'server', family: 'sim', port: 1 };
const single = (extra: Record<string, unknown>) => () => createClient({ transport: net.endpoint(), peer, ...extra } as ClientOptions);
const multi = (extra: Record<string, unknown>) => () => createClient({ transport: net.endpoint(), peers: [peer], ...extra } as ClientOptions);

describe('createClient options', () => {
  it.each<[string, () => unknown, ConfigErrorClass, RegExp]>([
    ['neither peer nor peers', () => createClient({ transport: net.endpoint() }), TypeError, /^createClient: pass exactly one of `peer` and `peers` \(options\.peer and options\.peers are both missing\)$/],
    ['both peer and peers', multi({ peer }), TypeError, /^createClient: pass exactly one of `peer` and `peers` \(options\.peer and options\.peers are both given\)$/],
    ['no transport', () => createClient({ peer } as unknown as ClientOptions), TypeError, /^options\.transport must be an object, got undefined$/],
    ['a transport without listen', single({ transport: { send() {}, close: async () => {} } }), TypeError, /^options\.transport\.listen must be a function, got undefined$/],
    ['options that are not an object', () => createClient(null as unknown as ClientOptions), TypeError, /^options must be an object, got null$/],
    ['a peer without an address', single({ peer: { port: 1 } }), TypeError, /^options\.peer\.address must be a string, got undefined$/],
    ['a peer on port 70000', single({ peer: { ...peer, port: 70_000 } }), RangeError, /^options\.peer\.port must be an integer from 0 to 65535, got 70000$/],
    ['peers that are not a list', multi({ peers: peer }), TypeError, /^options\.peers must be an array, got an object$/],
    ['a peer weight of 65536', multi({ peers: [{ ...peer, weight: 65_536 }] }), RangeError, /^options\.peers\[0\]\.weight must be an integer from 0 to 65535, got 65536$/],
    ['a peer priority as a string', multi({ peers: [{ ...peer, priority: '1' }] }), TypeError, /^options\.peers\[0\]\.priority must be a number, got "1"$/],
    ['timeoutMs -1', single({ timeoutMs: -1 }), RangeError, /^options\.timeoutMs must be a finite number > 0 \(or Infinity\), got -1$/],
    ['timeoutMs 0', single({ timeoutMs: 0 }), RangeError, /^options\.timeoutMs must be a finite number > 0 \(or Infinity\), got 0$/],
    ['timeoutMs NaN', single({ timeoutMs: Number.NaN }), RangeError, /^options\.timeoutMs must be a finite number > 0 \(or Infinity\), got NaN$/],
    ['timeoutMs as a string', single({ timeoutMs: '5000' }), TypeError, /^options\.timeoutMs must be a number, got "5000"$/],
    ['a random that is not a function', single({ random: 4 }), TypeError, /^options\.random must be a function, got 4$/],
    ['a clock without now', single({ clock: { setTimer() {} } }), TypeError, /^options\.clock\.now must be a function, got undefined$/],
    ['interceptors that are not a list', single({ interceptors: () => {} }), TypeError, /^options\.interceptors must be an array, got a function$/],
    ['an interceptor that is not a function', single({ interceptors: [{}] }), TypeError, /^options\.interceptors\[0\] must be a function, got an object$/],
    ['coalesce as a string', single({ coalesce: 'no' }), TypeError, /^options\.coalesce must be a boolean, got "no"$/],
    ['validate as a number', single({ validate: 0 }), TypeError, /^options\.validate must be a boolean, got 0$/],
    ['a codec id of 300', single({ codec: { id: 300, name: 'x', encode: () => new Uint8Array(0), decode: () => ({ ok: true, value: 0 }) } }), RangeError, /^options\.codec\.id must be an integer from 1 to 255/],
    ['retry.maxAttempts -1', single({ retry: { maxAttempts: -1 } }), RangeError, /^options\.retry\.maxAttempts must be an integer >= 1 \(or Infinity\), got -1$/],
    ['flow.maxQueuedPerPeer 0.5', single({ flow: { maxQueuedPerPeer: 0.5 } }), RangeError, /^options\.flow\.maxQueuedPerPeer must be an integer >= 0, got 0\.5$/],
    ['maxDatagramBytes 10', single({ maxDatagramBytes: 10 }), RangeError, /^options\.maxDatagramBytes must be an integer from 25 to 65527, got 10$/],
    ['an unknown balancer', multi({ balancer: 'random' }), TypeError, /^options\.balancer must be 'p2c' or 'round-robin' or 'weighted', got "random"$/],
    ['health.consecutiveFailures 0', multi({ health: { consecutiveFailures: 0 } }), RangeError, /^options\.health\.consecutiveFailures must be an integer >= 1, got 0$/],
    ['health.maxEjectionMs below ejectionMs', multi({ health: { ejectionMs: 500, maxEjectionMs: 100 } }), RangeError, /^options\.health\.maxEjectionMs \(100\) must be >= options\.health\.ejectionMs \(500\)$/],
    ['failover.attemptFraction 0', multi({ failover: { attemptFraction: 0 } }), RangeError, /^options\.failover\.attemptFraction must be a finite number > 0 and <= 1, got 0$/],
    ['failover as a string', multi({ failover: 'on' }), TypeError, /^options\.failover must be an object, got "on"$/],
    ['hedging.delayMs -1', multi({ hedging: { enabled: true, delayMs: -1 } }), RangeError, /^options\.hedging\.delayMs must be a finite number >= 0, got -1$/],
    ['hedging.maxExtra 2', multi({ hedging: { enabled: true, maxExtra: 2 } }), RangeError, /^options\.hedging\.maxExtra must be an integer equal to 1, got 2$/],
    ['hedging.budget.burst -1', multi({ hedging: { enabled: true, budget: { burst: -1 } } }), RangeError, /^options\.hedging\.budget\.burst must be a finite number >= 0, got -1$/],
  ])('%s', (_, build, kind, message) => expectConfigError(build, kind, message));

  it('setPeers with a bad weight is a RangeError and changes nothing', () => {
    const client = multi({})();
    expectConfigError(() => (client as ReturnType<typeof createClient>).setPeers([{ ...peer, weight: -1 }]), RangeError, /^peers\[0\]\.weight must be an integer from 0 to 65535, got -1$/);
  });

  it('a peer list that arrives later with a bad weight fails the call with RpcError INVALID_ARGUMENT', async () => {
    const server = net.endpoint('late');
    const client = createClient({ transport: net.endpoint(), peers: Promise.resolve([{ ...server.address, weight: 1.5 }]), timeoutMs: 100 });
    const error = await client.call('calc', 'add', 1).catch((e: unknown) => e);
    expect(RpcError.is(error) && { code: error.code, message: error.message }).toEqual({
      code: 'INVALID_ARGUMENT',
      message: 'options.peers[0].weight must be an integer from 0 to 65535, got 1.5',
    });
    await client.close();
  });

  it('good configurations still construct', () => {
    expect(() => single({})()).not.toThrow();
    expect(() => single({ timeoutMs: Infinity })()).not.toThrow();
    expect(() => createClient({ transport: net.endpoint(), peer: async () => peer })).not.toThrow();
    expect(() => createClient({ transport: net.endpoint(), peers: Promise.resolve([peer]) })).not.toThrow();
    expect(() =>
      multi({
        peers: [{ ...peer, priority: 0, weight: 65_535 }],
        timeoutMs: 1,
        random: () => 0,
        interceptors: [(next: unknown) => next],
        coalesce: false,
        validate: false,
        validateOutput: true,
        pathMtuDiscovery: false,
        balancer: 'weighted',
        health: { silentRetransmissions: Infinity, minSilenceMs: 0 },
        failover: false,
        hedging: { enabled: true, delayMs: 'p95', maxExtra: 1 },
      })(),
    ).not.toThrow();
  });
});
