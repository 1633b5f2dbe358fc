#!/usr/bin/env node
// `npm run release:dry`: everything a release does except publishing.
//   1. a clean build (tsc -b --clean, then tsc -b), so no stale file ships;
//   2. the release plan from the pending changesets (.changeset/*.md):
//      which packages `changeset version` would bump, and to what;
//   3. `npm pack` of every public package into a temporary folder, with
//      a table of what each tarball holds.
// Nothing is published, and nothing in the repository changes besides dist/.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const sh = (cmd, args, options = {}) => execFileSync(cmd, args, { cwd: root, stdio: 'inherit', ...options });
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
const changeset = join(root, 'node_modules', '@changesets', 'cli', 'bin.js');

console.log('== clean build');
sh(process.execPath, [tsc, '-b', '--clean']);
sh(process.execPath, [tsc, '-b']);

console.log('\n== release plan (pending changesets)');
sh(process.execPath, [changeset, 'status', '--verbose']);

const packages = readdirSync(join(root, 'packages'))
  .map((dir) => ({ dir: join('packages', dir), manifest: JSON.parse(readFileSync(join(root, 'packages', dir, 'package.json'), 'utf8')) }))
  .filter((p) => p.manifest.private !== true);
const destination = mkdtempSync(join(tmpdir(), 'udprpc-release-dry-'));
console.log(`\n== npm pack (${packages.length} public packages) into ${destination}`);
const out = execFileSync(npm, ['pack', '--json', '--pack-destination', destination, ...packages.flatMap((p) => ['-w', p.dir])], {
  cwd: root,
  encoding: 'utf8',
  stdio: ['ignore', 'pipe', 'inherit'],
});
const packed = JSON.parse(out.slice(out.indexOf('\n[') + 1 || out.indexOf('[')));
const kb = (n) => `${(n / 1024).toFixed(1)} kB`;
const rows = packed.map((p) => [`${p.name}@${p.version}`, String(p.entryCount), kb(p.size), kb(p.unpackedSize), p.filename.replace(/^.*[\\/]/, '')]);
const header = ['package (current version)', 'files', 'tarball', 'unpacked', 'file'];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
for (const r of [header, ...rows]) console.log(r.map((c, i) => c.padEnd(widths[i])).join('  '));
for (const p of packed) {
  const top = [...new Set(p.files.map((f) => f.path.split('/')[0]))].sort();
  console.log(`  ${p.name}: ${top.join(', ')}`);
}
console.log(`
Nothing was published. A real release: \`npx changeset version\` (bumps the
versions and writes the changelogs from .changeset/*.md), \`npm install\`,
commit, then \`npx changeset publish\` (builds through each package's prepack).`);
