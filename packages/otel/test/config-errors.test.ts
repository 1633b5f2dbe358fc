// Configuration errors of UdprpcInstrumentation (issue 13): a config of the
// wrong type is a TypeError at construction, before anything subscribes.
// Before, `enabled: 'false'` (a truthy string) enabled it.
import { describe, expect, it } from 'vitest';
import { UdprpcInstrumentation, type UdprpcInstrumentationConfig } from '@udprpc/otel';
import { expectConfigError } from '../../../test/helpers/config-errors.js';

describe('UdprpcInstrumentation config', () => {
  it.each<[string, unknown, RegExp]>([
    ['enabled as a string', { enabled: 'false' }, /^config\.enabled must be a boolean, got string$/],
    ['a config that is a boolean', true, /^config must be an object, got boolean$/],
    ['a config that is null', null, /^config must be an object, got null$/],
  ])('%s', (_, config, message) => expectConfigError(() => new UdprpcInstrumentation(config as UdprpcInstrumentationConfig), TypeError, message));

  it('good configurations still construct', () => {
    const instrumentation = new UdprpcInstrumentation({ enabled: false });
    expect(instrumentation.isEnabled()).toBe(false);
  });
});
