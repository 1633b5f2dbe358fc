// `udprpc call` checks its JSON argument against the input schema the server
// publishes in `udprpc.describe` (protocol.md §5.1, "Method schemas") before
// sending it, so a typo is reported with its place instead of reaching the
// handler. The server still validates: this only saves a round trip and
// gives a clearer message.
import { Validator, type OutputUnit, type Schema } from '@cfworker/json-schema';
import { RpcError, type Client } from 'udprpc';
import { asDescription } from './service-description.js';

/** One problem with the argument, in the shape the server reports (`details.issues`). */
export interface InputIssue {
  path: Array<string | number>;
  message: string;
}

/**
 * The JSON Schema `service.method` publishes for its argument, or undefined
 * when the server publishes none (no schema, introspection off, or a reply
 * that is not a description). Other errors (unreachable, deadline) propagate.
 */
export async function publishedInputSchema(client: Client, service: string, method: string, timeoutMs: number): Promise<Record<string, unknown> | undefined> {
  let reply: unknown;
  try {
    reply = await client.call('udprpc', 'describe', undefined, { timeoutMs, idempotent: true });
  } catch (e) {
    if (RpcError.is(e) && e.remote && e.code === 'NOT_FOUND') return undefined;
    throw e;
  }
  const entry = asDescription(reply)
    ?.find((s) => s.service === service)
    ?.methods.find((m) => m.name === method);
  return entry?.inputSchema;
}

// Errors that only say "a member failed": the member's own error follows.
const wrappers = new Set(['properties', 'patternProperties', 'items', 'prefixItems', 'additionalItems', 'allOf', '$ref', '$dynamicRef', 'dependentSchemas', 'false']);

/**
 * Checks `input` against a published JSON Schema (draft 2020-12). Returns the
 * issues, empty when it passes; undefined when the schema cannot be used
 * (the call then goes ahead and the server decides).
 */
export function checkInput(schema: Record<string, unknown>, input: unknown): InputIssue[] | undefined {
  if (input === undefined) return undefined; // JSON Schema has no "absent"; the server decides
  let units: OutputUnit[];
  try {
    const result = new Validator(schema as Schema, '2020-12', false).validate(input);
    if (result.valid) return [];
    units = result.errors;
  } catch {
    return undefined;
  }
  const leaves = units.filter((u) => !wrappers.has(u.keyword));
  return (leaves.length > 0 ? leaves : units).map((u) => ({ path: pathOf(u.instanceLocation), message: u.error }));
}

/** `#/a/0/b` → `['a', 0, 'b']` (JSON Pointer unescaping of `~1` and `~0`). */
function pathOf(location: string): Array<string | number> {
  const pointer = location.replace(/^#/, '');
  if (pointer === '' || pointer === '/') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((part) => {
      const key = decodeURIComponent(part).replace(/~1/g, '/').replace(/~0/g, '~');
      return /^(0|[1-9]\d*)$/.test(key) ? Number(key) : key;
    });
}
