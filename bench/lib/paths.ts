// Where the benchmark's files are, whether it runs from its TypeScript
// sources (through tsx, as the test suite's smoke run does) or compiled to
// bench/dist by `npm run bench`. Compiled is how users run udprpc, and it
// keeps tsx's per-closure `__name` helper out of every measured hot path
// (the baseline's as much as ours).
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** True when this file is the compiled bench/dist/lib/paths.js. */
export const compiled = import.meta.url.endsWith('.js');
/** The directory holding run, server-process and client-process (bench/ or bench/dist/). */
export const codeDir = fileURLToPath(new URL('../', import.meta.url));
/** The bench package (bench/). */
export const benchDir = compiled ? join(codeDir, '..') : codeDir;
/** The monorepo root. */
export const repoRoot = join(benchDir, '..');

/** The path of one of the bench's entry scripts, e.g. `entry('server-process')`. */
export function entry(name: string): string {
  return join(codeDir, `${name}.${compiled ? 'js' : 'ts'}`);
}

/** Node flags a child needs to run {@link entry} scripts the way this process runs. */
export const childExecArgv: readonly string[] = compiled ? [] : ['--import', 'tsx', '--conditions=@udprpc/source'];
