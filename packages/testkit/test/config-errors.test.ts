// Configuration errors of the testkit (issue 13): a wrong option type or
// shape is a TypeError, a value of the right type out of range a
// RangeError, thrown at construction and naming the option. Before, a
// string loss or seed was coerced or refused with a RangeError, and a
// SimNetwork without a clock failed only at the first send.
import { describe, expect, it } from 'vitest';
import { createMemoryNetwork, createRandom, SimNetwork, VirtualClock, type SimNetworkOptions } from '@udprpc/testkit';
import { expectConfigError, type ConfigErrorClass } from '../../../test/helpers/config-errors.js';

const clock = new VirtualClock();
const sim = (extra: Record<string, unknown>) => () => new SimNetwork({ clock, seed: 1, ...extra } as SimNetworkOptions);

describe('SimNetwork, MemoryNetwork, VirtualClock, createRandom options', () => {
  it.each<[string, () => unknown, ConfigErrorClass, RegExp]>([
    ['no clock', sim({ clock: undefined }), TypeError, /^options\.clock must be an object, got undefined$/],
    ['a clock without setTimer', sim({ clock: { now: () => 0 } }), TypeError, /^options\.clock\.setTimer must be a function, got undefined$/],
    ['a seed that is a string', sim({ seed: '1' }), TypeError, /^SimNetwork: seed must be a number, got "1"$|seed must be a number, got "1"$/],
    ['a fractional seed', sim({ seed: 1.5 }), RangeError, /seed must be a safe integer, got 1\.5$/],
    ['an onEvent that is not a function', sim({ onEvent: 'log' }), TypeError, /^options\.onEvent must be a function, got "log"$/],
    ['defaults that are a number', sim({ defaults: 0.1 }), TypeError, /^options\.defaults must be an object, got 0\.1$/],
    ['a loss as a string', sim({ defaults: { loss: '0.5' } }), TypeError, /^options\.defaults\.loss must be a number, got "0\.5"$/],
    ['a loss of 1.5', sim({ defaults: { loss: 1.5 } }), RangeError, /^options\.defaults\.loss must be a finite number from 0 to 1, got 1\.5$/],
    ['a negative delay', sim({ defaults: { delayMs: -1 } }), RangeError, /^options\.defaults\.delayMs must be a finite number >= 0, got -1$/],
    ['a delay that is a string', sim({ defaults: { delayMs: '5' } }), TypeError, /^options\.defaults\.delayMs must be a number, a function or \{ min, max \}, got "5"$/],
    ['an MTU of 1.5', sim({ defaults: { mtu: 1.5 } }), RangeError, /^options\.defaults\.mtu must be an integer >= 0, got 1\.5$/],
    ['MemoryNetwork maxDatagramBytes as a string', () => createMemoryNetwork({ maxDatagramBytes: '8' as unknown as number }), TypeError, /^options\.maxDatagramBytes must be a number, got "8"$/],
    ['MemoryNetwork maxDatagramBytes -1', () => createMemoryNetwork({ maxDatagramBytes: -1 }), RangeError, /^options\.maxDatagramBytes must be an integer >= 0, got -1$/],
    ['VirtualClock startMs Infinity', () => new VirtualClock({ startMs: Infinity }), RangeError, /^options\.startMs must be a finite number, got Infinity$/],
    ['VirtualClock microtaskTurns as a string', () => new VirtualClock({ microtaskTurns: '3' as unknown as number }), TypeError, /^options\.microtaskTurns must be a number, got "3"$/],
    ['createRandom with a string', () => createRandom('7' as unknown as number), TypeError, /seed must be a number, got "7"$/],
  ])('%s', (_, build, kind, message) => expectConfigError(build, kind, message));

  it('good configurations still construct', () => {
    expect(() => sim({ defaults: { loss: 1, delayMs: { min: 0, max: 5 }, mtu: 0, reorderDelayMs: 0 }, onEvent: () => {} })()).not.toThrow();
    expect(() => sim({ defaults: { delayMs: () => 1 } })()).not.toThrow();
    expect(() => createMemoryNetwork({ maxDatagramBytes: 0 })).not.toThrow();
    expect(new VirtualClock({ startMs: -5, microtaskTurns: 0 }).now()).toBe(-5);
  });
});
