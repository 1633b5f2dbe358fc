import { readFileSync } from 'node:fs';

/**
 * The version of @udprpc/cli, from its package.json, which sits one level
 * above both src/ (run from the repository) and dist/ (installed).
 */
export function cliVersion(): string {
  const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version?: unknown };
  if (typeof manifest.version !== 'string') throw new Error('@udprpc/cli: package.json has no version');
  return manifest.version;
}
