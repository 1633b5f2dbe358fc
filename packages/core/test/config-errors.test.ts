// Configuration errors of the engines (issue 13): a wrong option type or
// shape is a TypeError, a value of the right type out of range a RangeError,
// thrown by the constructor and naming the option. Before, the engines took
// any value and failed later (or never: a NaN RTO, a maxAttempts of 0).
import { describe, expect, it } from 'vitest';
import { jsonCodec, systemClock, type Codec } from '@udprpc/core';
import { checkCodec, ClientEngine, EngineHost, ServerEngine, type ClientEngineOptions, type ServerEngineOptions } from '@udprpc/core/engine';
import { expectConfigError, type ConfigErrorClass } from '../../../test/helpers/config-errors.js';

const send = (): void => {};
const client = (extra: Record<string, unknown>) => () => new ClientEngine({ send, ...extra } as ClientEngineOptions);
const server = (extra: Record<string, unknown>) => () => new ServerEngine({ send, hooks: { onCall: () => {} }, ...extra } as ServerEngineOptions);
const pmtu = { maxDatagramBytesFor: () => 65_507 };

describe('ClientEngine options', () => {
  it.each<[string, () => unknown, ConfigErrorClass, RegExp]>([
    ['no send function', () => new ClientEngine({} as ClientEngineOptions), TypeError, /^options\.send must be a function, got undefined$/],
    ['a random that is not a function', client({ random: 0.5 }), TypeError, /^options\.random must be a function, got 0\.5$/],
    ['retry that is not an object', client({ retry: 3 }), TypeError, /^options\.retry must be an object, got 3$/],
    ['retry.maxAttempts 0', client({ retry: { maxAttempts: 0 } }), RangeError, /^options\.retry\.maxAttempts must be an integer >= 1 \(or Infinity\), got 0$/],
    ['retry.maxAttempts -1', client({ retry: { maxAttempts: -1 } }), RangeError, /^options\.retry\.maxAttempts must be an integer >= 1 \(or Infinity\), got -1$/],
    ['retry.maxAttempts 2.5', client({ retry: { maxAttempts: 2.5 } }), RangeError, /^options\.retry\.maxAttempts must be an integer >= 1 \(or Infinity\), got 2\.5$/],
    ['retry.maxAttempts as a string', client({ retry: { maxAttempts: '3' } }), TypeError, /^options\.retry\.maxAttempts must be a number, got "3"$/],
    ['retry.initialRtoMs NaN', client({ retry: { initialRtoMs: Number.NaN } }), RangeError, /^options\.retry\.initialRtoMs must be a finite number >= 0, got NaN$/],
    ['retry.minRtoMs negative', client({ retry: { minRtoMs: -1 } }), RangeError, /^options\.retry\.minRtoMs must be a finite number >= 0, got -1$/],
    ['retry.minRtoMs above maxRtoMs', client({ retry: { minRtoMs: 500, maxRtoMs: 100 } }), RangeError, /^options\.retry\.minRtoMs \(500\) must not be above options\.retry\.maxRtoMs \(100\)$/],
    ['retry.backoffMultiplier 0.5', client({ retry: { backoffMultiplier: 0.5 } }), RangeError, /^options\.retry\.backoffMultiplier must be a finite number >= 1, got 0\.5$/],
    ['retry.jitterRatio 2', client({ retry: { jitterRatio: 2 } }), RangeError, /^options\.retry\.jitterRatio must be a finite number from 0 to 1, got 2$/],
    ['retry.ackedProbeIntervalMs 0', client({ retry: { ackedProbeIntervalMs: 0 } }), RangeError, /^options\.retry\.ackedProbeIntervalMs must be a finite number > 0, got 0$/],
    ['retry.maxRefusals 0.5', client({ retry: { maxRefusals: 0.5 } }), RangeError, /^options\.retry\.maxRefusals must be an integer >= 1 \(or Infinity\), got 0\.5$/],
    ['retryBudget.ratio -1', client({ retryBudget: { ratio: -1 } }), RangeError, /^options\.retryBudget\.ratio must be a finite number >= 0, got -1$/],
    ['flow.maxInFlightPerPeer 0', client({ flow: { maxInFlightPerPeer: 0 } }), RangeError, /^options\.flow\.maxInFlightPerPeer must be an integer >= 1, got 0$/],
    ['flow.whenFull unknown', client({ flow: { whenFull: 'drop' } }), TypeError, /^options\.flow\.whenFull must be 'queue' or 'fail', got "drop"$/],
    ['maxDatagramBytes 10', client({ maxDatagramBytes: 10 }), RangeError, /^options\.maxDatagramBytes must be an integer from 25 to 65527, got 10$/],
    ['maxDatagramBytes 70000', client({ maxDatagramBytes: 70_000 }), RangeError, /^options\.maxDatagramBytes must be an integer from 25 to 65527, got 70000$/],
    ['maxMessageBytes 0', client({ maxMessageBytes: 0 }), RangeError, /^options\.maxMessageBytes must be an integer >= 1, got 0$/],
    ['maxPeers 1.5', client({ maxPeers: 1.5 }), RangeError, /^options\.maxPeers must be an integer >= 1, got 1\.5$/],
    ['codec 256', client({ codec: 256 }), RangeError, /^options\.codec must be an integer from 0 to 255, got 256$/],
    ['maxMetadataBytes -1', client({ maxMetadataBytes: -1 }), RangeError, /^options\.maxMetadataBytes must be an integer >= 0, got -1$/],
    ['a hook that is not a function', client({ hooks: { onRetry: true } }), TypeError, /^options\.hooks\.onRetry must be a function, got true$/],
    ['pmtu without maxDatagramBytesFor', client({ pmtu: {} }), TypeError, /^options\.pmtu\.maxDatagramBytesFor must be a function, got undefined$/],
    ['a probe size below 1200', client({ pmtu: { ...pmtu, probeSizes: [1000, 9000] } }), RangeError, /^options\.pmtu\.probeSizes\[0\] must be an integer from 1200 to 65527, got 1000$/],
    ['probe sizes not rising', client({ pmtu: { ...pmtu, probeSizes: [9000, 1500] } }), RangeError, /^options\.pmtu\.probeSizes\[1\] must be an integer from 9001 to 65527, got 1500$/],
    ['probe sizes not an array', client({ pmtu: { ...pmtu, probeSizes: 1500 } }), TypeError, /^options\.pmtu\.probeSizes must be an array, got 1500$/],
    ['raiseIntervalMs 0', client({ pmtu: { ...pmtu, raiseIntervalMs: 0 } }), RangeError, /^options\.pmtu\.raiseIntervalMs must be a finite number > 0, got 0$/],
  ])('%s', (_, build, kind, message) => expectConfigError(build, kind, message));

  it('good configurations still construct', () => {
    expect(() => new ClientEngine({ send })).not.toThrow();
    expect(() =>
      client({
        random: () => 0.5,
        retry: { initialRtoMs: 0, minRtoMs: 0, maxRtoMs: Infinity, maxAttempts: 1, maxRefusals: Infinity, jitterRatio: 0, backoffMultiplier: 1 },
        retryBudget: { ratio: 0, burst: 0, minPerSecond: 0 },
        flow: { maxInFlightPerPeer: 1, maxQueuedPerPeer: 0, whenFull: 'fail' },
        maxDatagramBytes: 100,
        pmtu: { ...pmtu, probeSizes: [1200, 65_527], raiseIntervalMs: 1 },
        maxMessageBytes: 1,
        codec: 255,
        maxMetadataBytes: 0,
        hooks: { onRetry: () => {} },
      })(),
    ).not.toThrow();
  });
});

describe('ServerEngine options', () => {
  it.each<[string, () => unknown, ConfigErrorClass, RegExp]>([
    ['no hooks', () => new ServerEngine({ send } as unknown as ServerEngineOptions), TypeError, /^options\.hooks must be an object, got undefined$/],
    ['no onCall hook', server({ hooks: {} }), TypeError, /^options\.hooks\.onCall must be a function, got undefined$/],
    ['a send that is not a function', server({ send: 'udp' }), TypeError, /^options\.send must be a function, got "udp"$/],
    ['dedup.graceMs -1', server({ dedup: { graceMs: -1 } }), RangeError, /^options\.dedup\.graceMs must be a finite number >= 0, got -1$/],
    ['dedup.maxDeadlineMs 0', server({ dedup: { maxDeadlineMs: 0 } }), RangeError, /^options\.dedup\.maxDeadlineMs must be a finite number > 0, got 0$/],
    ['admission.maxRunning 0', server({ admission: { maxRunning: 0 } }), RangeError, /^options\.admission\.maxRunning must be an integer >= 1, got 0$/],
    ['admission.retryAfterMs NaN', server({ admission: { retryAfterMs: Number.NaN } }), RangeError, /^options\.admission\.retryAfterMs must be a finite number >= 0, got NaN$/],
    ['reassembly.maxMessageBytes 0', server({ reassembly: { maxMessageBytes: 0 } }), RangeError, /^options\.reassembly\.maxMessageBytes must be an integer >= 1, got 0$/],
    ['reassembly.idleTimeoutMs as a string', server({ reassembly: { idleTimeoutMs: '1000' } }), TypeError, /^options\.reassembly\.idleTimeoutMs must be a number, got "1000"$/],
    ['sources.amplificationFactor 0.5', server({ sources: { amplificationFactor: 0.5 } }), RangeError, /^options\.sources\.amplificationFactor must be a finite number >= 1 \(or Infinity\), got 0\.5$/],
    ['sources.maxSources 0', server({ sources: { maxSources: 0 } }), RangeError, /^options\.sources\.maxSources must be an integer >= 1, got 0$/],
    ['maxDatagramBytes 1.5', server({ maxDatagramBytes: 1.5 }), RangeError, /^options\.maxDatagramBytes must be an integer from 25 to 65527, got 1\.5$/],
    ['startupGraceMs -5', server({ startupGraceMs: -5 }), RangeError, /^options\.startupGraceMs must be a finite number >= 0, got -5$/],
    ['a validator without verify', server({ validator: { mint: () => new Uint8Array(0) } }), TypeError, /^options\.validator\.verify must be a function, got undefined$/],
    ['pmtu not an object', server({ pmtu: true }), TypeError, /^options\.pmtu must be an object, got true$/],
  ])('%s', (_, build, kind, message) => expectConfigError(build, kind, message));

  it('good configurations still construct', () => {
    expect(() => server({})()).not.toThrow();
    expect(() =>
      server({
        dedup: { graceMs: 0, maxBytes: Infinity, maxDeadlineMs: 1 },
        admission: { maxRunning: 1, maxQueued: 0, retryAfterMs: 0, overrunGraceMs: 0 },
        reassembly: { maxPeerBytes: Infinity, maxPeerMessages: Infinity, idleTimeoutMs: 1 },
        sources: { amplificationFactor: Infinity, ratePerSecond: 1e9 },
        maxDatagramBytes: 200,
        startupGraceMs: 0,
        startedAt: 0,
      })(),
    ).not.toThrow();
  });
});

describe('EngineHost and codecs', () => {
  const engine = { onTimer: () => {}, nextTimerAt: () => undefined };
  it.each<[string, () => unknown, ConfigErrorClass, RegExp]>([
    ['an engine without onTimer', () => new EngineHost({} as never, systemClock), TypeError, /^engine\.onTimer must be a function, got undefined$/],
    ['a clock without setTimer', () => new EngineHost(engine, { now: () => 0 } as never), TypeError, /^clock\.setTimer must be a function, got undefined$/],
    ['a deliver that is not a function', () => new EngineHost(engine, systemClock, { deliver: 1 as never }), TypeError, /^options\.deliver must be a function, got 1$/],
    ['a codec id 0', () => checkCodec({ ...jsonCodec, id: 0 }), RangeError, /^options\.codec\.id must be an integer from 1 to 255 \(protocol\.md §5\.7\), got 0 \(codec json\)$/],
    ['a codec without decode', () => checkCodec({ id: 2, name: 'x', encode: () => new Uint8Array(0) } as unknown as Codec), TypeError, /^options\.codec\.decode must be a function, got undefined$/],
    ['a codec that is a string', () => checkCodec('json' as unknown as Codec), TypeError, /^options\.codec must be an object, got "json"$/],
  ])('%s', (_, build, kind, message) => expectConfigError(build, kind, message));

  it('good configurations still construct', () => {
    expect(() => new EngineHost(engine, systemClock, { deliver: () => {}, onError: () => {} })).not.toThrow();
    expect(checkCodec(jsonCodec)).toBe(jsonCodec);
  });
});
