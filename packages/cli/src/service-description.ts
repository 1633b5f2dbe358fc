import type { ServiceDescription } from 'udprpc';

/**
 * Formats a description as text: one block per service, one line per method
 * with its delivery semantics, then the JSON Schemas it publishes, if any.
 */
export function formatDescription(url: string, services: readonly ServiceDescription[]): string {
  if (services.length === 0) return `${url} serves no services\n`;
  const width = Math.max(...services.flatMap((s) => s.methods.map((m) => s.service.length + 1 + m.name.length)));
  const blocks = services.map((s) => {
    const count = `${s.methods.length} method${s.methods.length === 1 ? '' : 's'}`;
    const lines = s.methods.flatMap((m) => [
      `  ${`${s.service}.${m.name}`.padEnd(width)}  ${m.idempotent ? 'idempotent' : 'at-most-once'}`,
      ...schemaLines('input ', m.inputSchema),
      ...schemaLines('output', m.outputSchema),
    ]);
    return [`${s.service} (${count})`, ...lines].join('\n');
  });
  return `${blocks.join('\n\n')}\n`;
}

/** One line of compact JSON, without the `$schema` dialect (always draft 2020-12 here); `--json` keeps it. */
function schemaLines(label: string, schema: Record<string, unknown> | undefined): string[] {
  if (schema === undefined) return [];
  const { $schema: _dialect, ...rest } = schema;
  return [`      ${label}  ${JSON.stringify(rest)}`];
}

/** The `udprpc.describe` reply as a service list, or undefined when it is not one: checks the shape rather than trusting the peer. */
export function asDescription(value: unknown): ServiceDescription[] | undefined {
  if (!Array.isArray(value)) return undefined;
  const services: ServiceDescription[] = [];
  for (const s of value as unknown[]) {
    if (typeof s !== 'object' || s === null) return undefined;
    const { service, methods } = s as { service?: unknown; methods?: unknown };
    if (typeof service !== 'string' || !Array.isArray(methods)) return undefined;
    const list: ServiceDescription['methods'] = [];
    for (const m of methods as unknown[]) {
      const { name, idempotent, inputSchema, outputSchema } = (m ?? {}) as Record<string, unknown>;
      if (typeof name !== 'string') return undefined;
      // Schemas are optional members (protocol.md §5.1): kept when they are maps, ignored otherwise.
      list.push({
        name,
        idempotent: idempotent === true,
        ...(isMap(inputSchema) ? { inputSchema } : {}),
        ...(isMap(outputSchema) ? { outputSchema } : {}),
      });
    }
    services.push({ service, methods: list });
  }
  return services;
}

function isMap(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
