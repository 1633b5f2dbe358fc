import { defineConfig } from 'vitest/config';
import base from './vitest.config.js';

// `npm run mutation` (stryker.config.json): the core's own unit tests only.
// They import the modules under test directly, so each mutant is judged by
// the component tests that guard it, not by the slower end-to-end suites.
// (mergeConfig would concatenate `include`, so the base is spread instead.)
export default defineConfig({
  ...base,
  test: { ...base.test, include: ['packages/core/test/**/*.test.ts'] },
});
