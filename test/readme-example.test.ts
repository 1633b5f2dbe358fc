// The README's example must compile as written: the first ```ts block of
// README.md is type-checked with the repository's tsconfig.check.json
// settings (strict, NodeNext, customConditions ['@udprpc/source'], so `udprpc`
// resolves to the workspace sources). It is compiled only, never run.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const readmePath = join(root, 'README.md');
// A virtual file inside test/, so module resolution and the ESM/CJS decision
// (root package.json "type": "module") are the same as for a real test file.
const snippetPath = join(root, 'test', '__readme-example__.ts');

/** The body of the first ```ts (or ```typescript) fenced block, if any. */
export function firstTsBlock(markdown: string): string | undefined {
  return /^```(?:ts|typescript)(?:[ \t][^\n]*)?\r?\n([\s\S]*?)^```/m.exec(markdown)?.[1];
}

function compilerOptions(): ts.CompilerOptions {
  const configPath = join(root, 'tsconfig.check.json');
  const read = ts.readConfigFile(configPath, (p) => ts.sys.readFile(p));
  if (read.error !== undefined) throw new Error(ts.flattenDiagnosticMessageText(read.error.messageText, '\n'));
  const parsed = ts.parseJsonConfigFileContent(read.config, ts.sys, root, undefined, configPath);
  return { ...parsed.options, noEmit: true };
}

const formatHost: ts.FormatDiagnosticsHost = {
  getCanonicalFileName: (f) => f,
  getCurrentDirectory: () => root,
  getNewLine: () => '\n',
};

/** Type-checks `code` as a module in test/; returns the formatted diagnostics of that file ('' if none). */
function typeCheck(code: string): string {
  const options = compilerOptions();
  const host = ts.createCompilerHost(options, true);
  const { getSourceFile, fileExists, readFile } = host;
  host.getSourceFile = (fileName, language, onError, shouldCreate) =>
    fileName === snippetPath ? ts.createSourceFile(fileName, code, language, true) : getSourceFile.call(host, fileName, language, onError, shouldCreate);
  host.fileExists = (fileName) => fileName === snippetPath || fileExists.call(host, fileName);
  host.readFile = (fileName) => (fileName === snippetPath ? code : readFile.call(host, fileName));
  const program = ts.createProgram({ rootNames: [snippetPath], options, host });
  const file = program.getSourceFile(snippetPath);
  if (file === undefined) throw new Error('the snippet was not part of the program');
  const diagnostics = [
    ...program.getOptionsDiagnostics(),
    ...program.getGlobalDiagnostics(),
    ...program.getSyntacticDiagnostics(file),
    ...program.getSemanticDiagnostics(file),
  ];
  return ts.formatDiagnostics(diagnostics, formatHost);
}

/** Module specifiers the snippet imports. */
function importsOf(code: string): string[] {
  return ts.preProcessFile(code, true, true).importedFiles.map((f) => f.fileName);
}

describe('README example', () => {
  // Checks the checker, so that a missing README does not leave it untested.
  it('the checker accepts a correct udprpc snippet and rejects a mistyped one', () => {
    const good = [
      "import { createClient, createServer, defineContract, method } from 'udprpc';",
      'const calc = defineContract(\'calc\', { add: method<{ a: number; b: number }, number>() });',
      'const server = createServer().implement(calc, { add: ({ a, b }) => a + b });',
      'const { port } = await server.listen();',
      'const client = createClient({ url: `udp://127.0.0.1:${port}` });',
      'const sum: number = await client.stub(calc).add({ a: 1, b: 2 });',
      'console.log(sum);',
      'await client.close();',
      'await server.close();',
    ].join('\n');
    expect(typeCheck(good)).toBe('');
    const bad = good.replace('add({ a: 1, b: 2 })', "add({ a: '1', b: 2 })");
    expect(typeCheck(bad)).toMatch(/TS2322/);
  });

  it('finds the first ts block', () => {
    expect(firstTsBlock('# x\n```sh\nnpm i\n```\n```ts\nconst a = 1;\n```\n```ts\nconst b = 2;\n```\n')).toBe('const a = 1;\n');
    expect(firstTsBlock('```typescript title="x"\nlet c;\n```')).toBe('let c;\n');
    expect(firstTsBlock('no code')).toBeUndefined();
  });

  if (!existsSync(readmePath)) {
    it.skip(`README.md does not exist yet at ${readmePath} — nothing to check (this skip only happens while the file is missing)`, () => {});
    return;
  }

  const readme = readFileSync(readmePath, 'utf8');
  const block = firstTsBlock(readme);

  it('has a ```ts example', () => {
    expect(block, 'README.md has no ```ts code block').toBeDefined();
  });

  it('the first ```ts block is self-contained: it imports packages only, no relative files', () => {
    const imports = importsOf(block ?? '');
    expect(imports.length).toBeGreaterThan(0);
    expect(imports.filter((s) => s.startsWith('.') || s.startsWith('/'))).toEqual([]);
  });

  it('the first ```ts block type-checks with zero diagnostics', () => {
    const firstLine = readme.slice(0, readme.indexOf(block ?? '')).split('\n').length;
    expect(typeCheck(block ?? ''), `line 1 of the snippet is line ${firstLine} of README.md`).toBe('');
  });
});
