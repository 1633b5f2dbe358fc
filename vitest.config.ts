import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Tests run on the TypeScript sources: every workspace package name is mapped
// to its src/index.ts, so no build step is needed before `vitest run`.
const packagesDir = fileURLToPath(new URL('./packages/', import.meta.url));
const alias = readdirSync(packagesDir).map((dir) => ({
  find: new RegExp(`^${dir === 'udprpc' ? 'udprpc' : `@udprpc/${dir}`}$`),
  replacement: `${packagesDir}${dir}/src/index.ts`,
}));

export default defineConfig({
  resolve: { alias },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    retry: 0,
    pool: 'forks',
  },
});
