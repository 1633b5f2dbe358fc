// The dependency rules of .dependency-cruiser.cjs, enforced in the test
// command (`npm test` runs vitest): dependency-cruiser cruises every
// packages/*/src and any violation fails here, listed rule by rule. The same
// check from the shell: `npx depcruise packages/*/src`.
//
// The rules are also run on small fixture trees with one violation each, so
// a rule that silently matches nothing (a mistyped path, a resolver that
// stopped following workspace imports) fails this test too.
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cruise, type ICruiseResult, type IViolation } from 'dependency-cruiser';
import extractDepcruiseOptions from 'dependency-cruiser/config-utl/extract-depcruise-options';
import extractTSConfig from 'dependency-cruiser/config-utl/extract-ts-config';
import { afterAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const packageSources = readdirSync(join(root, 'packages'), { withFileTypes: true })
  .filter((e) => e.isDirectory())
  .map((e) => `packages/${e.name}/src`);

async function run(baseDir: string, paths: string[], withTsConfig: boolean): Promise<ICruiseResult> {
  const options = await extractDepcruiseOptions(join(root, '.dependency-cruiser.cjs'));
  const tsConfig = withTsConfig ? extractTSConfig(join(root, 'tsconfig.check.json')) : undefined;
  const cruiseOptions = { ...options, validate: true };
  if (!withTsConfig) delete cruiseOptions.tsConfig;
  const cwd = process.cwd();
  // dependency-cruiser resolves paths from the working directory.
  process.chdir(baseDir);
  try {
    const result = await cruise(
      paths,
      cruiseOptions,
      {},
      tsConfig === undefined ? {} : { tsConfig },
    );
    if (typeof result.output === 'string') throw new Error('expected a JSON result');
    return result.output;
  } finally {
    process.chdir(cwd);
  }
}

const describeViolation = (v: IViolation): string => `${v.rule.name}: ${v.from} -> ${v.to}${v.cycle ? ` (cycle: ${v.cycle.map((c) => c.name).join(' -> ')})` : ''}`;

describe('dependency rules (dependency-cruiser)', () => {
  it('the packages break no rule: no cycles, core imports only itself, client and server never import each other', async () => {
    const result = await run(root, packageSources, true);
    expect(result.summary.violations.map(describeViolation)).toEqual([]);
    // Not vacuous: every package was cruised, and workspace imports resolve to the sources.
    expect(result.summary.totalCruised).toBeGreaterThan(100);
    const client = result.modules.find((m) => m.source === 'packages/client/src/client.ts');
    expect(client?.dependencies.map((d) => d.resolved)).toContain('packages/core/src/index.ts');
    const core = result.modules.find((m) => m.source === 'packages/core/src/index.ts');
    expect(core?.dependencies.length).toBeGreaterThan(10);
  }, 120_000);

  describe('each rule fires on a fixture that breaks it', () => {
    const fixture = mkdtempSync(join(tmpdir(), 'udprpc-depcruise-'));
    afterAll(() => rmSync(fixture, { recursive: true, force: true }));
    const files: Record<string, string> = {
      'packages/core/src/a.js': "import './b.js';\nimport 'node:fs';\n",
      'packages/core/src/b.js': "import './a.js';\nimport '../../client/src/c.js';\n",
      'packages/core/src/engine.js': 'export const engine = 1;\n',
      'packages/core/src/wire/frame.js': "import './codec.js';\nimport '../engine.js';\n",
      'packages/core/src/wire/codec.js': 'export const codec = 1;\n',
      'packages/core/src/congestion/window.js': "import '../engine.js';\n",
      'packages/core/src/client/engine.js': "import '../server/engine.js';\n",
      'packages/core/src/server/engine.js': "import '../client/types.js';\n",
      'packages/core/src/client/types.js': 'export const t = 1;\n',
      'packages/client/src/c.js': "import '../../server/src/s.js';\n",
      'packages/server/src/s.js': "import '../../client/src/d.js';\n",
      'packages/client/src/d.js': 'export const d = 1;\n',
    };
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(fixture, path)), { recursive: true });
      writeFileSync(join(fixture, path), text);
    }
    // Cruised once, when the first test below asks (never while another cruise runs: both change the working directory).
    let cruised: Promise<string[]> | undefined;
    const violations = (): Promise<string[]> => (cruised ??= run(fixture, ['packages'], false).then((r) => r.summary.violations.map(describeViolation)));

    for (const [rule, expected] of [
      ['no-circular', 'no-circular: packages/core/src/a.js -> packages/core/src/b.js (cycle: packages/core/src/b.js -> packages/core/src/a.js)'],
      ['core-no-node-builtins', 'core-no-node-builtins: packages/core/src/a.js -> fs'],
      ['core-imports-only-itself', 'core-imports-only-itself: packages/core/src/b.js -> packages/client/src/c.js'],
      ['client-not-server', 'client-not-server: packages/client/src/c.js -> packages/server/src/s.js'],
      ['server-not-client', 'server-not-client: packages/server/src/s.js -> packages/client/src/d.js'],
      ['wire-is-the-bottom-layer', 'wire-is-the-bottom-layer: packages/core/src/wire/frame.js -> packages/core/src/engine.js'],
      ['congestion-stands-alone', 'congestion-stands-alone: packages/core/src/congestion/window.js -> packages/core/src/engine.js'],
      ['core-client-not-server', 'core-client-not-server: packages/core/src/client/engine.js -> packages/core/src/server/engine.js'],
      ['core-server-not-client', 'core-server-not-client: packages/core/src/server/engine.js -> packages/core/src/client/types.js'],
    ] as const) {
      it(rule, async () => {
        const all = await violations();
        expect(all, all.join('\n')).toContain(expected);
      }, 60_000);
    }

    it('and only where it should: wire importing wire, core importing core, are fine', async () => {
      const all = await violations();
      expect(all.filter((v) => v.includes('-> packages/core/src/wire/codec.js'))).toEqual([]);
      expect(all.filter((v) => v.startsWith('core-imports-only-itself') && v.includes('-> packages/core/'))).toEqual([]);
    }, 60_000);
  });
});
