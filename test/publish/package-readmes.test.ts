// Every public package's README says what it is, how to install it, shows a
// minimal example that compiles, and links onward. The examples are the
// first ```ts block of each README, type-checked (never run) against the
// workspace sources with the repository's tsconfig.check.json settings.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { publicPackages, repoRoot } from './packed-install.js';

const packages = publicPackages();
const readmes = new Map(packages.map((p) => [p.manifest.name, readFileSync(join(p.dir, 'README.md'), 'utf8')]));
const snippetPath = (name: string): string => join(repoRoot, 'test', `__readme-${name.replace(/[@/]/g, '_')}__.ts`);

function firstTsBlock(markdown: string): string | undefined {
  return /^```(?:ts|typescript)[^\n]*\n([\s\S]*?)^```/m.exec(markdown)?.[1];
}

/** Type-checks every README's example in one program; diagnostics by package name. */
function typeCheckAll(): Map<string, string> {
  const configPath = join(repoRoot, 'tsconfig.check.json');
  const read = ts.readConfigFile(configPath, (p) => ts.sys.readFile(p));
  const options = { ...ts.parseJsonConfigFileContent(read.config, ts.sys, repoRoot, undefined, configPath).options, noEmit: true };
  const snippets = new Map([...readmes].map(([name, md]) => [snippetPath(name), firstTsBlock(md) ?? '']));
  const host = ts.createCompilerHost(options, true);
  const { getSourceFile, fileExists, readFile } = host;
  host.getSourceFile = (f, l, e, c) => (snippets.has(f) ? ts.createSourceFile(f, snippets.get(f)!, l, true) : getSourceFile.call(host, f, l, e, c));
  host.fileExists = (f) => snippets.has(f) || fileExists.call(host, f);
  host.readFile = (f) => snippets.get(f) ?? readFile.call(host, f);
  const program = ts.createProgram({ rootNames: [...snippets.keys()], options, host });
  const formatHost = { getCanonicalFileName: (f: string) => f, getCurrentDirectory: () => repoRoot, getNewLine: () => '\n' };
  return new Map(
    [...readmes.keys()].map((name) => {
      const file = program.getSourceFile(snippetPath(name))!;
      return [name, ts.formatDiagnostics([...program.getSyntacticDiagnostics(file), ...program.getSemanticDiagnostics(file)], formatHost)];
    }),
  );
}

describe('package READMEs', () => {
  it.each([...readmes.keys()])('%s: install command, example and links', (name) => {
    const md = readmes.get(name)!;
    expect(md.startsWith(`# ${name}`), 'starts with the package name').toBe(true);
    expect(md).toMatch(/^## Install$/m);
    expect(md).toMatch(new RegExp(`npm install (--global |--save-dev )?(udprpc|${name.replace('/', '\\/')})\\b`));
    expect(firstTsBlock(md), 'a ```ts example').toBeDefined();
    expect(md).toMatch(/^## Links$/m);
    expect(md).toContain('(./CHANGELOG.md)');
    // Relative links to repository files break on npmjs.com: only absolute ones, or ./CHANGELOG.md.
    expect(md.match(/\]\((?!https:\/\/|\.\/CHANGELOG\.md|#)[^)]*\)/g) ?? []).toEqual([]);
  });

  it('every example compiles', () => {
    const diagnostics = typeCheckAll();
    for (const [name, text] of diagnostics) expect(text, name).toBe('');
  }, 120_000);
});
