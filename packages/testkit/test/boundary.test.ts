import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const srcDir = fileURLToPath(new URL('../src/', import.meta.url));
const files = readdirSync(srcDir).filter((f) => f.endsWith('.ts'));

describe('@udprpc/testkit boundaries', () => {
  it.each(files)('%s imports only @udprpc/core (and its subpaths), fast-check and local files', (file) => {
    const source = readFileSync(srcDir + file, 'utf8');
    const specifiers = [...source.matchAll(/\bfrom\s+'([^']+)'|\bimport\s*\(\s*'([^']+)'\s*\)|\bimport\s+'([^']+)'/g)].map(
      (m) => m[1] ?? m[2] ?? m[3],
    );
    for (const spec of specifiers) {
      expect(/^@udprpc\/core(\/[a-z]+)?$/.test(spec!) || spec === 'fast-check' || /^\.\/[\w-]+\.js$/.test(spec!), `${file}: ${spec}`).toBe(true);
    }
  });

  it.each(files)('%s stays under 300 lines and uses no Node-only globals', (file) => {
    const source = readFileSync(srcDir + file, 'utf8');
    expect(source.split('\n').length).toBeLessThanOrEqual(300);
    expect(source).not.toMatch(/\b(process|Buffer|setImmediate|require)\b[.(]/);
  });
});
