/**
 * Formats a decoded reply as JSON text (two-space indent, trailing newline).
 * msgpack can carry values JSON cannot: `undefined` prints as `null`, bigints
 * as decimal strings, byte arrays as base64 strings, Maps as objects, Sets as
 * arrays.
 */
export function formatJson(value: unknown): string {
  const text = JSON.stringify(value, replacer, 2) as string | undefined;
  return `${text ?? 'null'}\n`;
}

function replacer(this: unknown, key: string, value: unknown): unknown {
  // `value` has been through toJSON already (a Buffer would be {type, data}): look at the original.
  const raw = (this as Record<string, unknown>)[key];
  if (raw instanceof Uint8Array) return Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('base64');
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Map) return Object.fromEntries([...value.entries()].map(([k, v]) => [String(k), v as unknown]));
  if (value instanceof Set) return [...value.values()];
  return value;
}
