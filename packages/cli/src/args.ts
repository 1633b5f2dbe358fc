import { parseEndpoint } from 'udprpc';
import type { CliIo } from './io.js';

/** Bad usage: the command prints the message and its usage on stderr and exits 64. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  /** The command whose usage to print, or undefined for the tool's. */
  readonly command: string | undefined;

  constructor(command: string | undefined, message: string) {
    super(message);
    this.command = command;
  }
}

/** The JSON input does not parse: exits 65. */
export class DataError extends Error {
  override readonly name = 'DataError';
}

/**
 * Runs `parse` (a `node:util` `parseArgs` call) and turns its errors
 * (unknown option, missing value, ...) into a {@link UsageError}.
 */
export function parseOrUsage<T>(command: string, parse: () => T): T {
  try {
    return parse();
  } catch (e) {
    throw new UsageError(command, e instanceof Error ? e.message : String(e));
  }
}

const durationRule = /^(\d+(?:\.\d+)?)(ms|s|m)$/;
const unitMs = { ms: 1, s: 1000, m: 60_000 } as const;

/**
 * Parses a duration such as `500ms`, `10s`, `1.5s` or `2m` into milliseconds,
 * between `minMs` and `maxMs`. A unit is required.
 */
export function parseDurationMs(command: string, flag: string, text: string, minMs: number, maxMs: number): number {
  const m = durationRule.exec(text.trim());
  const ms = m === null ? NaN : Number(m[1]) * unitMs[m[2] as keyof typeof unitMs];
  if (!(ms >= minMs && ms <= maxMs)) {
    throw new UsageError(command, `${flag} ${JSON.stringify(text)}: expected a duration from ${minMs}ms to ${maxMs / 1000}s, e.g. 500ms, 10s, 2m`);
  }
  return ms;
}

/** Parses an integer option in `[min, max]`. */
export function parseIntOption(command: string, flag: string, text: string, min: number, max: number): number {
  const n = /^\d+$/.test(text.trim()) ? Number(text) : NaN;
  if (!(Number.isSafeInteger(n) && n >= min && n <= max)) {
    throw new UsageError(command, `${flag} ${JSON.stringify(text)}: expected an integer from ${min} to ${max}`);
  }
  return n;
}

/** Checks a `udp://host:port` argument; a malformed one is a usage error. */
export function parseTarget(command: string, url: string | undefined): string {
  if (url === undefined) throw new UsageError(command, 'missing the server URL (udp://host:port)');
  try {
    parseEndpoint(url);
  } catch (e) {
    throw new UsageError(command, (e as Error).message);
  }
  return url;
}

/**
 * Splits `service.method` at its last dot (service names may contain dots,
 * method names may not).
 */
export function parseMethodPath(command: string, path: string | undefined): { service: string; method: string } {
  if (path === undefined) throw new UsageError(command, 'missing the method (service.method)');
  const dot = path.lastIndexOf('.');
  if (dot <= 0 || dot === path.length - 1) {
    throw new UsageError(command, `${JSON.stringify(path)}: expected service.method, e.g. calc.add`);
  }
  return { service: path.slice(0, dot), method: path.slice(dot + 1) };
}

/**
 * The call's input: absent → undefined (a method without arguments), `-` →
 * JSON read from stdin, anything else → the argument parsed as JSON.
 */
export async function readJsonInput(command: string, arg: string | undefined, io: CliIo): Promise<unknown> {
  if (arg === undefined) return undefined;
  let text = arg;
  let source = 'the input argument';
  if (arg === '-') {
    if (io.readStdin === undefined) throw new UsageError(command, 'input "-" needs stdin, which is not available here');
    text = await io.readStdin();
    source = 'stdin';
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new DataError(`${source} is not valid JSON: ${(e as Error).message}`);
  }
}

/** Rejects positionals beyond the `max` a command takes. */
export function checkPositionals(command: string, positionals: readonly string[], max: number): void {
  if (positionals.length > max) {
    throw new UsageError(command, `unexpected argument ${JSON.stringify(positionals[max])}`);
  }
}
