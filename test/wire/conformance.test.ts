// docs/conformance.md maps every MUST / MUST NOT of protocol.md to the tests
// that check it. This keeps the table complete and true: every MUST in the
// spec is inside a quoted row, every quote is in the spec, and every test a
// row names exists.
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const root = new URL('../../', import.meta.url);
const read = (path: string): string => readFileSync(new URL(path, root), 'utf8');
/** Markdown to plain words: emphasis and code marks dropped, whitespace runs made one space. */
const flatten = (text: string): string => text.replace(/\*\*|`/g, '').replace(/\s+/g, ' ');

const spec = flatten(read('docs/protocol.md'));

interface Row {
  section: string;
  quote: string;
  tests: { file: string; name: string }[] | 'definition';
}

function rows(): Row[] {
  const out: Row[] = [];
  for (const line of read('docs/conformance.md').split('\n')) {
    const m = /^\| (\S+) \| "(.+)" \| (.+) \|$/.exec(line);
    if (m === null) continue;
    const [, section, quote, cell] = m as unknown as [string, string, string, string];
    const tests =
      cell === '*definition*'
        ? 'definition'
        : cell.split('; ').map((ref) => {
            const t = /^`([^`]+)` › (.+)$/.exec(ref);
            if (t === null) throw new Error(`bad test reference in the row for "${quote}": ${ref}`);
            return { file: t[1]!, name: t[2]! };
          });
    out.push({ section, quote, tests });
  }
  return out;
}

/** Whether `name` names a test of `file`: text of an it() in it, or for the vector test, a vector of the named JSON file. */
function testExists(file: string, name: string): boolean {
  if (!existsSync(new URL(file, root))) return false;
  if (file === 'test/wire/test-vectors.test.ts') {
    const [json, vector] = name.split(' › ');
    if (vector === undefined || !existsSync(new URL(`docs/test-vectors/${json}`, root))) return false;
    return read(`docs/test-vectors/${json}`).includes(`"name": ${JSON.stringify(vector)}`);
  }
  return read(file).includes(name);
}

describe('docs/conformance.md', () => {
  const table = rows();

  it('has rows', () => {
    expect(table.length).toBeGreaterThan(40);
  });

  it('quotes only words that are in protocol.md', () => {
    expect(table.filter((r) => !spec.includes(r.quote)).map((r) => `${r.section}: ${r.quote}`)).toEqual([]);
  });

  it('covers every MUST of protocol.md with a quoted row', () => {
    const covered: [number, number][] = [];
    for (const r of table) {
      for (let at = spec.indexOf(r.quote); at >= 0; at = spec.indexOf(r.quote, at + 1)) covered.push([at, at + r.quote.length]);
    }
    const missing: string[] = [];
    for (const m of spec.matchAll(/MUST/g)) {
      if (!covered.some(([from, to]) => m.index >= from && m.index < to)) missing.push(spec.slice(Math.max(0, m.index - 80), m.index + 80));
    }
    expect(missing).toEqual([]);
  });

  it('names tests that exist, and only definitions go without one', () => {
    const bad: string[] = [];
    for (const r of table) {
      if (r.tests === 'definition') {
        if (!/key words|MUST\/SHOULD|marked MUST/.test(r.quote)) bad.push(`${r.section}: only the keyword definitions may go without a test`);
        continue;
      }
      for (const t of r.tests) if (!testExists(t.file, t.name)) bad.push(`${r.section}: ${t.file} › ${t.name}`);
    }
    expect(bad).toEqual([]);
  });
});
