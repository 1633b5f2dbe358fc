// Configuration errors of createPskTransport and the key ring (issue 13): a
// wrong option type or shape is a TypeError, a value of the right type out
// of range a RangeError, thrown at construction and naming the option.
import { describe, expect, it } from 'vitest';
import { createKeyRing, createPskTransport, generateKey, type PskTransportOptions } from '@udprpc/auth-psk';
import { expectConfigError, type ConfigErrorClass } from '../../../test/helpers/config-errors.js';
import { K1, scriptedInner } from './support.js';

const psk = (extra: Record<string, unknown>) => () => createPskTransport(scriptedInner().transport, { keys: { k1: K1 }, sendKeyId: 'k1', ...extra } as PskTransportOptions);

describe('createPskTransport options', () => {
  it.each<[string, () => unknown, ConfigErrorClass, RegExp]>([
    ['an inner that is not a transport', () => createPskTransport({} as never, { keys: { k1: K1 }, sendKeyId: 'k1' }), TypeError, /^inner\.listen must be a function, got undefined$/],
    ['no options', () => createPskTransport(scriptedInner().transport, undefined as never), TypeError, /^options must be an object, got undefined$/],
    ['keys that are a string', psk({ keys: 'k1' }), TypeError, /^options\.keys must be an object, got "k1"$/],
    ['no sendKeyId', psk({ sendKeyId: undefined }), TypeError, /^options\.sendKeyId must be a string, got undefined$/],
    ['allowPlaintext as a string', psk({ allowPlaintext: 'true' }), TypeError, /^options\.allowPlaintext must be a boolean, got "true"$/],
    ['replayWindow 0', psk({ replayWindow: 0 }), RangeError, /^options\.replayWindow must be an integer from 1 to 65536, got 0$/],
    ['replayWindow 1e6', psk({ replayWindow: 1e6 }), RangeError, /^options\.replayWindow must be an integer from 1 to 65536, got 1000000$/],
    ['maxSenders 0', psk({ maxSenders: 0 }), RangeError, /^options\.maxSenders must be an integer >= 1, got 0$/],
    ['maxSenders NaN', psk({ maxSenders: Number.NaN }), RangeError, /^options\.maxSenders must be an integer >= 1, got NaN$/],
    ['an unknown algorithm', psk({ algorithm: 'rot13' }), TypeError, /^options\.algorithm must be 'chacha20-poly1305' or 'aes-256-gcm', got "rot13"$/],
    ['an onDrop that is not a function', psk({ onDrop: true }), TypeError, /^options\.onDrop must be a function, got true$/],
    ['empty serverNames', psk({ serverNames: [] }), RangeError, /^options\.serverNames must not be empty/],
    ['an empty server name', psk({ serverNames: [''] }), RangeError, /^options\.serverNames\[0\] must not be empty$/],
    ['a server name that is not a string', psk({ serverNames: [4000] }), TypeError, /^options\.serverNames\[0\] must be a string, got 4000$/],
    ['key material that is a number', psk({ keys: { k1: 42 } }), TypeError, /^key "k1" must be a Uint8Array or a string \(hex or base64\), got 42$/],
  ])('%s', (_, build, kind, message) => expectConfigError(build, kind, message));

  it('good configurations still construct', () => {
    expect(() => psk({})()).not.toThrow();
    expect(() => psk({ keys: createKeyRing({ k1: K1 }), allowPlaintext: true, replayWindow: 65_536, maxSenders: 1, algorithm: 'aes-256-gcm', onDrop: () => {}, serverNames: ['127.0.0.1:4000'] })()).not.toThrow();
  });
});

describe('createKeyRing', () => {
  it('keys that are not an object are a TypeError', () => {
    expectConfigError(() => createKeyRing('k1' as never), TypeError, /^keys must be an object, got "k1"$/);
    expect(createKeyRing({ k1: generateKey() }).size).toBe(1);
  });
});
