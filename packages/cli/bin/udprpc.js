#!/usr/bin/env node
// Launcher of the `udprpc` command.
//
// - Built (`npm run build`, or an installed package): runs dist/main.js.
// - In the repository without a build: runs src/main.ts through tsx, which
//   is a root devDependency. tsx's loader is registered in this process (no
//   second node process), plus a resolve hook adding the "@udprpc/source" export
//   condition, so that `udprpc` and `@udprpc/*` resolve to their src/index.ts
//   exactly as under `tsx --conditions=@udprpc/source` and in vitest. This is what
//   makes `npx udprpc --help` work right after `npm ci`.
//
// Set UDPRPC_CLI_FROM_SOURCE=1 to run the sources even when dist/ exists
// (a stale build otherwise wins).
import { existsSync } from 'node:fs';
import { register } from 'node:module';

const dist = new URL('../dist/main.js', import.meta.url);

if (existsSync(dist) && process.env.UDPRPC_CLI_FROM_SOURCE !== '1') {
  await import(dist.href);
} else {
  let tsx;
  try {
    tsx = await import('tsx/esm/api');
  } catch {
    process.stderr.write(
      'udprpc: no build found (packages/cli/dist) and tsx is not installed.\n' +
        'Run `npm ci` (for tsx) or `npm run build` in the repository.\n',
    );
    process.exit(70);
  }
  tsx.register();
  // Registered after tsx, so it runs first and hands tsx the extra condition.
  register('./source-condition.js', import.meta.url);
  await import(new URL('../src/main.ts', import.meta.url).href);
}
