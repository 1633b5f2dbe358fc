// What a user gets from npm: every public package is packed (its prepack
// builds it), the tarballs are installed into a fresh project in the OS temp
// directory with no network (see packed-install.ts), and then, with plain
// `node` (no tsx, no export conditions): a server and a client talk over
// 127.0.0.1, the subpath exports of @udprpc/core (`/wire`, `/engine`,
// `/contract`) load from dist, the installed `udprpc` command runs, and a
// TypeScript consumer type-checks under NodeNext and Bundler module
// resolution, subpaths included.
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installedPackages, installOffline, packAll, publicPackages, repoRoot, run, type PackResult } from './packed-install.js';

const packages = publicPackages();
const fixtures = join(repoRoot, 'test', 'publish', 'consumer');
let work: string;
let consumer: string;
let packed: PackResult[];

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'udprpc-packed-'));
  const tarballs = join(work, 'tarballs');
  mkdirSync(tarballs);
  packed = await packAll(packages, tarballs, 180_000);
  consumer = join(work, 'consumer');
  mkdirSync(consumer);
  const files = new Map(packed.map((p) => [p.name, p.filename.replace(/^.*[\\/]/, '')]));
  await installOffline(consumer, [...files.keys()], files, tarballs, 120_000);
  for (const f of ['server.mjs', 'client.mjs', 'consumer.ts']) copyFileSync(join(fixtures, f), join(consumer, f));
}, 300_000);

afterAll(() => {
  if (work !== undefined) rmSync(work, { recursive: true, force: true });
});

/** Runs `node <args>` in the consumer project; kills it after `limitMs`. */
function node(args: string[], limitMs: number): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: consumer, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_OPTIONS: '' } });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), limitMs);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Starts server.mjs; resolves with its port and a stop function (closing its stdin). */
function startServer(): Promise<{ port: number; stop: () => Promise<number | null> }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['server.mjs'], { cwd: consumer, stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, NODE_OPTIONS: '' } });
    const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    const exited = new Promise<number | null>((done) =>
      child.once('close', (code) => {
        clearTimeout(killer);
        done(code);
      }),
    );
    let out = '';
    let err = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const line = /^(\d+)\n/.exec(out);
      if (line !== null) resolve({ port: Number(line[1]), stop: () => (child.stdin.end(), exited) });
    });
    child.once('error', reject);
    void exited.then((code) => reject(new Error(`server.mjs exited (${code}) before printing its port: ${out}${err}`)));
  });
}

/** The tarball's files that are allowed: build output, sources, the manifest, the licence and docs. */
function unexpectedFiles(p: PackResult): string[] {
  const allowed = [/^package\.json$/, /^README\.md$/, /^LICENSE$/, /^CHANGELOG\.md$/, /^dist\/.+\.(js|d\.ts|js\.map|d\.ts\.map)$/, /^src\/.+\.ts$/];
  if (p.name === '@udprpc/cli') allowed.push(/^bin\/[\w-]+\.js$/);
  return p.files.map((f) => f.path).filter((path) => !allowed.some((rule) => rule.test(path)));
}

describe('packed packages', () => {
  it('packs every public package, each with its licence, README, changelog and build', () => {
    expect(packed.map((p) => p.name).sort()).toEqual(packages.map((p) => p.manifest.name).sort());
    for (const p of packed) {
      const paths = new Set(p.files.map((f) => f.path));
      for (const needed of ['package.json', 'README.md', 'LICENSE', 'CHANGELOG.md', 'dist/index.js', 'dist/index.d.ts', 'src/index.ts']) {
        expect(paths.has(needed), `${p.name} lacks ${needed}`).toBe(true);
      }
      expect(unexpectedFiles(p), p.name).toEqual([]);
      // No stale build output: every compiled module has its source.
      const stale = [...paths].filter((f) => f.startsWith('dist/') && f.endsWith('.js')).filter((f) => !paths.has(`src/${f.slice(5, -3)}.ts`));
      expect(stale, p.name).toEqual([]);
    }
  });

  it('does not install typed-emitter or rxjs (a type-only need, vendored in @udprpc/core)', () => {
    const installed = installedPackages(consumer);
    expect(installed).toContain('udprpc');
    expect(installed.filter((n) => n === 'rxjs' || n === 'typed-emitter' || n === 'tslib')).toEqual([]);
  });

  it('a server and a client, each in plain node, talk over 127.0.0.1', async () => {
    const server = await startServer();
    try {
      const client = await node(['client.mjs', String(server.port)], 30_000);
      expect({ code: client.code, stderr: client.stderr }).toEqual({ code: 0, stderr: '' });
      expect(JSON.parse(client.stdout)).toEqual({
        sum: 5,
        failure: 'INVALID_ARGUMENT: division by zero',
        loaded: [32, 'function', 'msgpack', 'json', 0, 'function'],
        subpaths: [1, 'function', 'calc.add'],
      });
      // Other packages' `source` export condition must not select our .ts files.
      const withSource = await node(['--conditions=source', 'client.mjs', String(server.port)], 30_000);
      expect({ code: withSource.code, stderr: withSource.stderr, stdout: withSource.stdout }).toEqual({ code: 0, stderr: '', stdout: client.stdout });
      const cli = await node(['node_modules/@udprpc/cli/bin/udprpc.js', 'call', `udp://127.0.0.1:${server.port}`, 'calc.add', '{"a":40,"b":2}'], 30_000);
      expect(cli).toEqual({ code: 0, stdout: '42\n', stderr: '' });
    } finally {
      expect(await server.stop()).toBe(0);
    }
  }, 90_000);

  it('the installed udprpc command reports its version', async () => {
    const version = (JSON.parse(readFileSync(join(repoRoot, 'packages', 'cli', 'package.json'), 'utf8')) as { version: string }).version;
    expect(existsSync(join(consumer, 'node_modules', '.bin', 'udprpc'))).toBe(true);
    expect(await node(['node_modules/@udprpc/cli/bin/udprpc.js', '--version'], 30_000)).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
  }, 60_000);

  it('a TypeScript consumer type-checks under NodeNext and under Bundler resolution', async () => {
    // Both at once (one process per core). NodeNext also checks our .d.ts files
    // in full (skipLibCheck off); Bundler checks that they resolve and type the consumer.
    const check = async (name: string, resolution: object, skipLibCheck: boolean): Promise<string> => {
      const config = join(consumer, `tsconfig.${name}.json`);
      writeFileSync(
        config,
        JSON.stringify({
          compilerOptions: {
            ...resolution,
            target: 'ES2022',
            lib: ['ES2022', 'ESNext.Disposable'],
            strict: true,
            noEmit: true,
            skipLibCheck,
            types: ['node'],
            typeRoots: [join(repoRoot, 'node_modules', '@types')],
          },
          files: ['consumer.ts'],
        }),
      );
      const tsc = join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc');
      const result = await run(process.execPath, [tsc, '-p', config, '--pretty', 'false'], consumer, 150_000).catch((e: Error) => ({ stdout: e.message, stderr: '' }));
      return result.stdout.trim();
    };
    const [nodeNext, bundler] = await Promise.all([
      check('NodeNext', { module: 'NodeNext', moduleResolution: 'NodeNext' }, false),
      check('Bundler', { module: 'ESNext', moduleResolution: 'Bundler' }, true),
    ]);
    expect({ nodeNext, bundler }).toEqual({ nodeNext: '', bundler: '' });
  }, 160_000);
});
