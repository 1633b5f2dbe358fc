// Configuration errors of createMsgpackCodec (issue 13): options of the
// wrong type are a TypeError at construction, naming the option. Before,
// any value was taken (a truthy string turned copying on).
import { describe, expect, it } from 'vitest';
import { createMsgpackCodec, type MsgpackCodecOptions } from '@udprpc/codec-msgpack';
import { expectConfigError } from '../../../test/helpers/config-errors.js';

describe('createMsgpackCodec options', () => {
  it.each<[string, unknown, RegExp]>([
    ['copyBinary as a string', { copyBinary: 'false' }, /^options\.copyBinary must be a boolean, got "false"$/],
    ['copyBinary as a number', { copyBinary: 0 }, /^options\.copyBinary must be a boolean, got 0$/],
    ['options that are a boolean', true, /^options must be an object, got true$/],
  ])('%s', (_, options, message) => expectConfigError(() => createMsgpackCodec(options as MsgpackCodecOptions), TypeError, message));

  it('good configurations still construct', () => {
    for (const options of [undefined, {}, { copyBinary: false }, { copyBinary: true }]) expect(createMsgpackCodec(options).id).toBe(1);
  });
});
