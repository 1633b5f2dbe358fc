import {
  checkObject,
  checkOptionalArray,
  checkOptionalBoolean,
  checkOptionalChoice,
  checkOptionalFunction,
  checkOptionalNumber,
  checkString,
  checkTransport,
} from '@udprpc/core/engine';
import { MAX_REPLAY_WINDOW } from './replay-window.js';

// The checks of createPskTransport's options (issue 13): a TypeError for a
// value of the wrong type or shape, a RangeError for one out of range,
// naming the option. Key ids and material are checked by the key ring.

/** The AEAD algorithms a PSK transport can seal with. */
export const PSK_ALGORITHMS = ['chacha20-poly1305', 'aes-256-gcm'] as const;

/** Checks `createPskTransport`'s arguments before anything is built (`PskTransportOptions`, not imported: its module imports this one). */
export function checkPskOptions(inner: unknown, options: unknown): void {
  checkTransport(inner, 'inner');
  checkObject(options, 'options');
  checkObject(options['keys'], 'options.keys');
  checkString(options['sendKeyId'], 'options.sendKeyId');
  checkOptionalBoolean(options['allowPlaintext'], 'options.allowPlaintext');
  checkOptionalNumber(options['replayWindow'], 'options.replayWindow', { min: 1, max: MAX_REPLAY_WINDOW, integer: true });
  checkOptionalNumber(options['maxSenders'], 'options.maxSenders', { min: 1, integer: true });
  checkOptionalChoice(options['algorithm'], 'options.algorithm', PSK_ALGORITHMS);
  checkOptionalFunction(options['onDrop'], 'options.onDrop');
  const names = options['serverNames'];
  checkOptionalArray(names, 'options.serverNames', (name, at) => checkString(name, at, true));
  if (Array.isArray(names) && names.length === 0) throw new RangeError('options.serverNames must not be empty (omit it to name the bound address)');
}
