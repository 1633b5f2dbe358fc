// The package boundaries, checked mechanically (CONVENTIONS.md "The shape"):
// reads every packages/*/src file, lists its imports with the TypeScript
// scanner (static, `import type`, re-exports and dynamic `import()`), and
// asserts that dependencies point one way and match each package.json.
//
// Import cycles, "core imports nothing outside itself (no node:*)" and
// "client and server never import each other" are dependency-cruiser rules
// (.dependency-cruiser.cjs, run by test/dependency-rules.test.ts); this file
// keeps what those rules do not cover.
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const packagesDir = fileURLToPath(new URL('../packages/', import.meta.url));

interface Import {
  readonly file: string; // relative to packages/
  readonly specifier: string;
}

interface Package {
  readonly dir: string;
  readonly name: string;
  readonly version: string;
  readonly dependencies: Record<string, string>;
  readonly imports: Import[];
}

function sourceFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return /\.(c|m)?tsx?$/.test(entry.name) && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

function loadPackage(dir: string): Package {
  const manifest = JSON.parse(readFileSync(join(packagesDir, dir, 'package.json'), 'utf8')) as {
    name: string;
    version: string;
    dependencies?: Record<string, string>;
  };
  const imports = sourceFiles(join(packagesDir, dir, 'src')).flatMap((path) =>
    ts.preProcessFile(readFileSync(path, 'utf8'), true, true).importedFiles.map((f) => ({
      file: relative(packagesDir, path),
      specifier: f.fileName,
    })),
  );
  return { dir, name: manifest.name, version: manifest.version, dependencies: manifest.dependencies ?? {}, imports };
}

const packages = readdirSync(packagesDir, { withFileTypes: true })
  .filter((e) => e.isDirectory() && existsSync(join(packagesDir, e.name, 'package.json')))
  .map((e) => loadPackage(e.name));
const byDir = new Map(packages.map((p) => [p.dir, p]));
const workspaceNames = new Set(packages.map((p) => p.name));
/** Each workspace package's declared subpath exports (`@udprpc/core/wire`), by full specifier. */
const declaredSubpaths = new Set(
  readdirSync(packagesDir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && existsSync(join(packagesDir, e.name, 'package.json')))
    .flatMap((e) => {
      const m = JSON.parse(readFileSync(join(packagesDir, e.name, 'package.json'), 'utf8')) as { name: string; exports?: Record<string, unknown> };
      return Object.keys(m.exports ?? {})
        .filter((k) => k !== '.')
        .map((k) => `${m.name}${k.slice(1)}`);
    }),
);

const isRelative = (s: string): boolean => s.startsWith('./') || s.startsWith('../');
const builtins = new Set(builtinModules.filter((m) => !m.startsWith('_')));
const isBuiltin = (s: string): boolean => s.startsWith('node:') || builtins.has(s.split('/')[0]!) || builtins.has(s);
/** `@scope/name/deep` → `@scope/name`; `name/deep` → `name`. */
const packageOf = (s: string): string => s.split('/').slice(0, s.startsWith('@') ? 2 : 1).join('/');

/** Node modules the client and server use for observability (docs/observability.md). */
const observability = ['node:diagnostics_channel', 'node:util', 'node:perf_hooks'];

/** Every import that leaves the package's own files. */
const externalImports = (p: Package): Import[] => p.imports.filter((i) => !isRelative(i.specifier));

/**
 * What each package may import besides its own files (CONVENTIONS.md table).
 * A package missing from this table gets only the general rules below.
 */
const allowed: Record<string, (specifier: string) => boolean> = {
  // core: nothing at all (dependency-cruiser rule core-imports-only-itself).
  client: (s) => ['@udprpc/core', 'node:events', ...observability].includes(s),
  // node:crypto: the AEAD seal/open and key derivation (docs/security.md).
  'auth-psk': (s) => s === '@udprpc/core' || s === 'node:crypto' || s === 'node:os',
  // node:crypto: HMAC address-validation tokens (protocol.md §8.3).
  server: (s) => ['@udprpc/core', 'node:events', 'node:crypto', ...observability].includes(s),
  'transport-udp': (s) => s === '@udprpc/core' || s.startsWith('node:'),
  'codec-msgpack': (s) => s === '@udprpc/core' || s === 'msgpackr',
  testkit: (s) => s === '@udprpc/core' || s === 'fast-check',
  udprpc: (s) =>
    ['@udprpc/core', '@udprpc/client', '@udprpc/server', '@udprpc/transport-udp', '@udprpc/codec-msgpack', '@udprpc/auth-psk'].includes(s) ||
    (s.startsWith('node:') && s !== 'node:dgram'),
};

describe('architecture: package boundaries', () => {
  it('finds the packages and their imports (the scan is not vacuous)', () => {
    for (const dir of Object.keys(allowed)) expect(byDir.has(dir), `packages/${dir}`).toBe(true);
    const client = byDir.get('client')!;
    expect(client.imports.some((i) => i.specifier === '@udprpc/core')).toBe(true);
    expect(client.imports.some((i) => i.specifier === 'node:events')).toBe(true);
    expect(byDir.get('transport-udp')!.imports.some((i) => i.specifier === 'node:dgram')).toBe(true);
  });

  for (const [dir, ok] of Object.entries(allowed)) {
    it(`${dir} imports only what CONVENTIONS.md allows`, () => {
      const p = byDir.get(dir);
      if (p === undefined) throw new Error(`packages/${dir} is missing`);
      // A declared subpath export (`@udprpc/core/wire`) counts as its package.
      const violations = externalImports(p).filter((i) => !ok(declaredSubpaths.has(i.specifier) ? packageOf(i.specifier) : i.specifier));
      expect(violations).toEqual([]);
    });
  }

  it('transport-udp is the only importer of node:dgram in packages/', () => {
    const importers = packages.flatMap((p) => p.imports.filter((i) => i.specifier === 'node:dgram' || i.specifier === 'dgram'));
    expect([...new Set(importers.map((i) => i.file.split(sep)[0]))]).toEqual(['transport-udp']);
  });

  it('no package imports the testkit (it is for tests only)', () => {
    const users = packages
      .filter((p) => p.dir !== 'testkit')
      .flatMap((p) => externalImports(p).filter((i) => packageOf(i.specifier) === '@udprpc/testkit'));
    expect(users).toEqual([]);
  });

  it('node built-ins are imported with the node: prefix', () => {
    const bare = packages.flatMap((p) => externalImports(p).filter((i) => isBuiltin(i.specifier) && !i.specifier.startsWith('node:')));
    expect(bare).toEqual([]);
  });

  it('other workspace packages are imported by their name or a subpath they export (no deep imports)', () => {
    const deep = packages.flatMap((p) =>
      externalImports(p).filter((i) => workspaceNames.has(packageOf(i.specifier)) && i.specifier !== packageOf(i.specifier) && !declaredSubpaths.has(i.specifier)),
    );
    expect(deep).toEqual([]);
  });

  it('relative imports stay inside their package’s src/', () => {
    const escaping = packages.flatMap((p) =>
      p.imports.filter((i) => {
        if (!isRelative(i.specifier)) return false;
        const target = resolve(dirname(join(packagesDir, i.file)), i.specifier);
        return !target.startsWith(join(packagesDir, p.dir, 'src') + sep);
      }),
    );
    expect(escaping).toEqual([]);
  });

  for (const p of packages) {
    it(`${p.dir}/package.json dependencies are exactly the packages its src imports`, () => {
      const imported = new Set(externalImports(p).filter((i) => !isBuiltin(i.specifier)).map((i) => packageOf(i.specifier)));
      expect({ package: p.name, dependencies: Object.keys(p.dependencies).sort() }).toEqual({
        package: p.name,
        dependencies: [...imported].sort(),
      });
    });

    it(`${p.dir}/package.json pins workspace dependencies to their current versions`, () => {
      const mismatched = Object.entries(p.dependencies)
        .filter(([name]) => workspaceNames.has(name))
        .filter(([name, range]) => packages.find((q) => q.name === name)!.version !== range);
      expect(mismatched).toEqual([]);
    });
  }
});
