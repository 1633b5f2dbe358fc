// Packs the public workspace packages and installs the tarballs into a fresh
// project outside the repository, as a user's `npm install` would, but with
// no network: the consumer gets a package-lock.json whose third-party entries
// (version + integrity) are copied from the repository's lockfile, so
// `npm ci --offline` takes every tarball from the npm cache that the
// repository's own `npm ci` filled. (`npm install <tarballs> --offline` does
// not work: it needs the registry's package documents to resolve ranges, and
// `npm ci` caches only tarballs.)
//
// Used by test/publish/packed-install.test.ts, and runnable on its own to
// measure an install:
//   npx tsx test/publish/packed-install.ts [package ...]   (default: udprpc)
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync, existsSync, statSync, lstatSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const npmCli = process.platform === 'win32' ? 'npm.cmd' : 'npm';

interface PackageJson {
  name: string;
  version: string;
  private?: boolean;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  [key: string]: unknown;
}

/** One public workspace package: its folder and manifest. */
export interface PublicPackage {
  readonly dir: string;
  readonly manifest: PackageJson;
}

/** Every package under packages/ that is not private (what `changeset publish` would publish). */
export function publicPackages(): PublicPackage[] {
  const base = join(repoRoot, 'packages');
  return readdirSync(base)
    .map((d) => ({ dir: join(base, d), manifest: JSON.parse(readFileSync(join(base, d, 'package.json'), 'utf8')) as PackageJson }))
    .filter((p) => p.manifest.private !== true)
    .sort((a, b) => a.manifest.name.localeCompare(b.manifest.name));
}

/** Runs a command with a hard time limit; rejects with its output on a non-zero exit. */
export function run(cmd: string, args: readonly string[], cwd: string, limitMs: number, env: NodeJS.ProcessEnv = process.env): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { cwd, timeout: limitMs, killSignal: 'SIGKILL', maxBuffer: 64 * 1024 * 1024, env }, (error, stdout, stderr) => {
      if (error !== null) reject(new Error(`${cmd} ${args.join(' ')} (in ${cwd}) failed: ${error.message}\n${stdout}\n${stderr}`));
      else resolve({ stdout, stderr });
    });
  });
}

/** What `npm pack --json` reports for one tarball. */
export interface PackResult {
  readonly name: string;
  readonly version: string;
  readonly filename: string;
  readonly files: readonly { path: string; size: number }[];
}

/**
 * Packs the given packages into `destination` with `npm pack` (which runs
 * each package's `prepack`, i.e. its `tsc -b` build).
 */
export async function packAll(packages: readonly PublicPackage[], destination: string, limitMs = 120_000): Promise<PackResult[]> {
  const args = ['pack', '--json', '--pack-destination', destination, ...packages.flatMap((p) => ['-w', p.dir])];
  const { stdout } = await run(npmCli, args, repoRoot, limitMs);
  // prepack output (tsc) may precede the JSON array on stdout.
  return JSON.parse(stdout.slice(stdout.indexOf('\n[') + 1 || stdout.indexOf('['))) as PackResult[];
}

interface LockEntry {
  version?: string;
  resolved?: string;
  integrity?: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  optional?: boolean;
  [key: string]: unknown;
}

/**
 * A lockfile (v3) for a consumer whose dependencies are `tarballs` (package
 * name → file name in `tarballDir`, relative to the consumer): our packages
 * resolve to the tarballs, third-party packages to the repository lockfile's
 * versions and integrities, hoisted flat.
 */
export function consumerLockfile(
  consumerName: string,
  direct: readonly string[],
  tarballs: ReadonlyMap<string, string>,
  tarballDir: string,
  consumerDir: string,
): { lock: object; dependencies: Record<string, string> } {
  const repoLock = JSON.parse(readFileSync(join(repoRoot, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> };
  const manifests = new Map(publicPackages().map((p) => [p.manifest.name, p.manifest]));
  const fileSpec = (name: string): string => {
    const file = tarballs.get(name);
    if (file === undefined) throw new Error(`${name} is needed but was not packed`);
    return `file:${relative(consumerDir, join(tarballDir, file))}`;
  };
  const dependencies: Record<string, string> = {};
  for (const name of direct) dependencies[name] = fileSpec(name);

  const packages: Record<string, LockEntry> = { '': { name: consumerName, dependencies } as LockEntry };
  // Where each repository lockfile path went in the consumer's: a package
  // the repository nests (a version other than the hoisted one, e.g.
  // node_modules/a/node_modules/b) is nested the same way there.
  const placed = new Map<string, string>([['', '']]);
  for (const p of publicPackages()) placed.set(relative(repoRoot, p.dir).split(sep).join('/'), `node_modules/${p.manifest.name}`);
  const ownDir = new Map(publicPackages().map((p) => [p.manifest.name, relative(repoRoot, p.dir).split(sep).join('/')]));
  /** The repository lockfile path that `name`, required from `from`, resolves to (Node's lookup: nearest node_modules up). */
  const locate = (name: string, from: string): string | undefined => {
    for (let base = from; ; ) {
      const key = `${base === '' ? '' : `${base}/`}node_modules/${name}`;
      if (repoLock.packages[key] !== undefined) return key;
      if (base === '') return undefined;
      const up = base.lastIndexOf('/node_modules/');
      base = up < 0 ? '' : base.slice(0, up);
    }
  };
  // Breadth first; an entry reached only through optional edges stays optional.
  const queue: { name: string; optional: boolean; from: string }[] = direct.map((name) => ({ name, optional: false, from: '' }));
  while (queue.length > 0) {
    const { name, optional, from } = queue.shift()!;
    const own = manifests.get(name);
    let repoKey: string;
    let key: string;
    if (own !== undefined) {
      repoKey = ownDir.get(name)!;
      key = `node_modules/${name}`;
    } else {
      const found = locate(name, from);
      if (found === undefined) throw new Error(`${name} is not in the repository's package-lock.json`);
      repoKey = found;
      const parent = found.slice(0, Math.max(0, found.length - `node_modules/${name}`.length - 1));
      const at = placed.get(parent);
      if (at === undefined) throw new Error(`${found}: its parent was not placed`);
      key = `${at === '' ? '' : `${at}/`}node_modules/${name}`;
    }
    const seen = packages[key];
    if (seen !== undefined) {
      if (!optional && seen.optional === true) delete seen.optional;
      else continue;
    }
    let entry: LockEntry;
    if (own !== undefined) {
      const resolved = fileSpec(name);
      const bytes = readFileSync(join(consumerDir, resolved.slice('file:'.length)));
      entry = {
        version: own.version,
        resolved,
        integrity: `sha512-${createHash('sha512').update(bytes).digest('base64')}`,
        ...(own.license === undefined ? {} : { license: own.license }),
        ...(own.bin === undefined ? {} : { bin: own.bin }),
        ...(own.engines === undefined ? {} : { engines: own.engines }),
        ...(own.dependencies === undefined ? {} : { dependencies: own.dependencies }),
        ...(own.optionalDependencies === undefined ? {} : { optionalDependencies: own.optionalDependencies }),
        ...(own.peerDependencies === undefined ? {} : { peerDependencies: own.peerDependencies }),
      };
    } else {
      // Copied without the repository's dev/peer flags, which do not apply here.
      const { dev: _dev, devOptional: _devOptional, peer: _peer, optional: _optional, ...rest } = repoLock.packages[repoKey]!;
      entry = rest;
    }
    if (optional) entry.optional = true;
    packages[key] = entry;
    placed.set(repoKey, key);
    for (const dep of Object.keys(entry.dependencies ?? {})) queue.push({ name: dep, optional, from: repoKey });
    for (const dep of Object.keys(entry.optionalDependencies ?? {})) queue.push({ name: dep, optional: true, from: repoKey });
    // npm installs peer dependencies too (not those marked optional).
    const optionalPeers = (entry.peerDependenciesMeta ?? {}) as Record<string, { optional?: boolean }>;
    for (const dep of Object.keys((entry.peerDependencies ?? {}) as Record<string, string>)) {
      if (optionalPeers[dep]?.optional !== true) queue.push({ name: dep, optional, from: repoKey });
    }
  }
  return { lock: { name: consumerName, version: '0.0.0', lockfileVersion: 3, requires: true, packages }, dependencies };
}

/**
 * Creates `consumerDir`'s package.json and lockfile for the given tarballs
 * and runs `npm ci --offline` there (no install scripts: msgpackr's optional
 * native add-on is not needed, it has a JavaScript fallback).
 */
export async function installOffline(
  consumerDir: string,
  direct: readonly string[],
  tarballs: ReadonlyMap<string, string>,
  tarballDir: string,
  limitMs = 60_000,
): Promise<void> {
  const { lock, dependencies } = consumerLockfile('udprpc-consumer', direct, tarballs, tarballDir, consumerDir);
  writeFileSync(join(consumerDir, 'package.json'), JSON.stringify({ name: 'udprpc-consumer', version: '0.0.0', private: true, type: 'module', dependencies }, null, 2));
  writeFileSync(join(consumerDir, 'package-lock.json'), JSON.stringify(lock, null, 2));
  await run(npmCli, ['ci', '--offline', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'], consumerDir, limitMs, {
    ...process.env,
    // Whatever the repository's .npmrc or workspace settings say, not here.
    npm_config_workspaces: 'false',
  });
}

/** Bytes of regular files under `dir` (symlinks not followed). */
export function diskBytes(dir: string): number {
  let total = 0;
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    const st = lstatSync(path);
    if (st.isDirectory()) total += diskBytes(path);
    else if (st.isFile()) total += st.size;
  }
  return total;
}

/** Installed package names (scoped ones as `@scope/name`). */
export function installedPackages(consumerDir: string): string[] {
  const nm = join(consumerDir, 'node_modules');
  if (!existsSync(nm)) return [];
  return readdirSync(nm)
    .filter((n) => !n.startsWith('.'))
    .flatMap((n) => (n.startsWith('@') && statSync(join(nm, n)).isDirectory() ? readdirSync(join(nm, n)).map((m) => `${n}/${m}`) : [n]))
    .sort();
}

// Measurement entry point: install the closure of the named packages.
if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const wanted = process.argv.slice(2).length > 0 ? process.argv.slice(2) : ['udprpc'];
  const work = mkdtempSync(join(tmpdir(), 'udprpc-size-'));
  const packed = await packAll(publicPackages(), work);
  const tarballs = new Map(packed.map((p) => [p.name, p.filename.replace(/^.*\//, '')]));
  const consumer = mkdtempSync(join(work, 'consumer-'));
  await installOffline(consumer, wanted, tarballs, work);
  const pkgs = installedPackages(consumer);
  console.log(`${consumer}\n${pkgs.length} packages: ${pkgs.join(' ')}\nnode_modules: ${(diskBytes(join(consumer, 'node_modules')) / 1e6).toFixed(2)} MB`);
}
