// The API reference builds with TypeDoc (typedoc.json: every public package's
// src/index.ts) with zero warnings: every link resolves, every exported
// symbol is reachable, and every public member has TSDoc
// (treatWarningsAsErrors, validation.notDocumented). Nothing is written.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot, run } from './packed-install.js';

describe('API reference', () => {
  it('typedoc validates with no warning', async () => {
    const typedoc = join(repoRoot, 'node_modules', 'typedoc', 'bin', 'typedoc');
    const result = await run(process.execPath, [typedoc, '--emit', 'none', '--logLevel', 'Warn'], repoRoot, 170_000, { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' }).catch(
      (e: Error) => ({ stdout: e.message, stderr: '' }),
    );
    expect(`${result.stdout}${result.stderr}`.trim()).toBe('');
  }, 180_000);
});
