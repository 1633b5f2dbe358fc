// Configuration errors of createServer (issue 13): a wrong option type or
// shape is a TypeError, a value of the right type out of range a
// RangeError, thrown by createServer itself and naming the option. Before,
// createServer took any value: a bad one failed later, when a call used it,
// or never.
import { describe, expect, it } from 'vitest';
import { createServer, type ServerOptions } from '@udprpc/server';
import { createMemoryNetwork } from '@udprpc/testkit';
import { expectConfigError, type ConfigErrorClass } from '../../../test/helpers/config-errors.js';

const net = createMemoryNetwork();
const server = (extra: Record<string, unknown>) => () => createServer({ transport: net.endpoint(), ...extra } as ServerOptions);

describe('createServer options', () => {
  it.each<[string, () => unknown, ConfigErrorClass, RegExp]>([
    ['no options', () => createServer(undefined as unknown as ServerOptions), TypeError, /^options must be an object, got undefined$/],
    ['no transport', () => createServer({} as ServerOptions), TypeError, /^options\.transport must be an object, got undefined$/],
    ['a transport without send', server({ transport: { listen: async () => ({}), close: async () => {} } }), TypeError, /^options\.transport\.send must be a function, got undefined$/],
    ['a clock that is a number', server({ clock: 0 }), TypeError, /^options\.clock must be an object, got 0$/],
    ['a random that is not a function', server({ random: 1 }), TypeError, /^options\.random must be a function, got 1$/],
    ['an interceptor that is not a function', server({ interceptors: ['log'] }), TypeError, /^options\.interceptors\[0\] must be a function, got "log"$/],
    ['introspection as a string', server({ introspection: 'yes' }), TypeError, /^options\.introspection must be a boolean, got "yes"$/],
    ['requireAuth as a number', server({ requireAuth: 1 }), TypeError, /^options\.requireAuth must be a boolean, got 1$/],
    ['warnings as a string', server({ warnings: 'off' }), TypeError, /^options\.warnings must be an object, got "off"$/],
    ['warnings.maxPerInterval 0', server({ warnings: { maxPerInterval: 0 } }), RangeError, /^options\.warnings\.maxPerInterval must be an integer >= 1, got 0$/],
    ['warnings.intervalMs -1', server({ warnings: { intervalMs: -1 } }), RangeError, /^options\.warnings\.intervalMs must be a finite number > 0, got -1$/],
    ['a codec id of 0', server({ codec: { id: 0, name: 'x', encode: () => new Uint8Array(0), decode: () => ({ ok: true, value: 0 }) } }), RangeError, /^options\.codec\.id must be an integer from 1 to 255/],
    ['dedup.graceMs -1', server({ dedup: { graceMs: -1 } }), RangeError, /^options\.dedup\.graceMs must be a finite number >= 0, got -1$/],
    ['admission.maxRunning 0', server({ admission: { maxRunning: 0 } }), RangeError, /^options\.admission\.maxRunning must be an integer >= 1, got 0$/],
    ['admission.maxQueued NaN', server({ admission: { maxQueued: Number.NaN } }), RangeError, /^options\.admission\.maxQueued must be an integer >= 0, got NaN$/],
    ['reassembly.maxTotalBytes -1', server({ reassembly: { maxTotalBytes: -1 } }), RangeError, /^options\.reassembly\.maxTotalBytes must be an integer >= 0 \(or Infinity\), got -1$/],
    ['sources.ratePerSecond 0', server({ sources: { ratePerSecond: 0 } }), RangeError, /^options\.sources\.ratePerSecond must be a finite number > 0 \(or Infinity\), got 0$/],
    ['maxDatagramBytes 70000', server({ maxDatagramBytes: 70_000 }), RangeError, /^options\.maxDatagramBytes must be an integer from 25 to 65527, got 70000$/],
    ['maxMetadataBytes as a string', server({ maxMetadataBytes: '8192' }), TypeError, /^options\.maxMetadataBytes must be a number, got "8192"$/],
    ['startupGraceMs -1', server({ startupGraceMs: -1 }), RangeError, /^options\.startupGraceMs must be a finite number >= 0, got -1$/],
  ])('%s', (_, build, kind, message) => expectConfigError(build, kind, message));

  it('good configurations still construct', () => {
    expect(() => server({})()).not.toThrow();
    expect(() =>
      server({
        interceptors: [(next: unknown) => next],
        coalesce: false,
        pathMtuDiscovery: false,
        antiAmplification: false,
        introspection: false,
        requireAuth: false,
        warnings: false,
        maxDatagramBytes: 1200,
        dedup: { graceMs: 0 },
        admission: { maxRunning: 1, maxQueued: 0 },
        sources: { amplificationFactor: Infinity },
        startupGraceMs: 0,
        random: () => 0.5,
      })(),
    ).not.toThrow();
    expect(() => server({ warnings: { emit: () => {}, maxPerInterval: 1, intervalMs: 1 } })()).not.toThrow();
  });
});
