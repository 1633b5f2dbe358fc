import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Tests run on the TypeScript sources: every workspace package name, and each
// subpath it exports (`@udprpc/core/wire`), is mapped to the source file its
// `@udprpc/source` export condition names, so no build step is needed before
// `vitest run`.
const packagesDir = fileURLToPath(new URL('./packages/', import.meta.url));
type Exports = Record<string, { '@udprpc/source'?: string }>;
const alias = readdirSync(packagesDir).flatMap((dir) => {
  const name = dir === 'udprpc' ? 'udprpc' : `@udprpc/${dir}`;
  const manifest = JSON.parse(readFileSync(`${packagesDir}${dir}/package.json`, 'utf8')) as { exports?: Exports };
  const entries = Object.entries(manifest.exports ?? { '.': { '@udprpc/source': './src/index.ts' } });
  return entries.flatMap(([subpath, conditions]) => {
    const source = conditions['@udprpc/source'];
    if (source === undefined) return [];
    const specifier = subpath === '.' ? name : `${name}${subpath.slice(1)}`;
    return [{ find: new RegExp(`^${specifier}$`), replacement: `${packagesDir}${dir}/${source.slice(2)}` }];
  });
});

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
