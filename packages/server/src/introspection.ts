import type { AnyMethodDef, AnySchema, StandardJSONSchemaV1Converter } from '@udprpc/core/contract';

/** One method as `udprpc.describe` reports it (protocol.md §5.1, "Method schemas"). */
export interface MethodDescription {
  /** Method name. */
  name: string;
  /** Whether it was declared idempotent. */
  idempotent: boolean;
  /** JSON Schema (draft 2020-12) of what callers send, when the input schema implements Standard JSON Schema. */
  inputSchema?: Record<string, unknown>;
  /** JSON Schema (draft 2020-12) of what callers receive, when the output schema implements Standard JSON Schema. */
  outputSchema?: Record<string, unknown>;
}

/** One service as `udprpc.describe` reports it. */
export interface ServiceDescription {
  /** Service name. */
  service: string;
  /** Its methods. */
  methods: MethodDescription[];
}

/** The JSON Schema dialect `udprpc.describe` publishes. */
export const JSON_SCHEMA_TARGET = 'draft-2020-12';

/**
 * Builds the description of one method. The wire carries the input schema's
 * input side and the output schema's output side, so those are what is
 * published. Computed once, at `implement`.
 */
export function describeMethod(name: string, def: AnyMethodDef): MethodDescription {
  const description: MethodDescription = { name, idempotent: def.idempotent };
  const input = jsonSchemaOf(def.input, 'input');
  if (input !== undefined) description.inputSchema = input;
  const output = jsonSchemaOf(def.output, 'output');
  if (output !== undefined) description.outputSchema = output;
  return description;
}

/**
 * The schema's JSON Schema, or undefined when it has none or cannot express
 * this one (libraries throw for types JSON Schema lacks, e.g. a bigint):
 * the method is then described without it, as one without a schema is.
 */
function jsonSchemaOf(schema: AnySchema | undefined, side: 'input' | 'output'): Record<string, unknown> | undefined {
  const converter = (schema?.['~standard'] as { jsonSchema?: StandardJSONSchemaV1Converter } | undefined)?.jsonSchema;
  if (converter === undefined || typeof converter[side] !== 'function') return undefined;
  try {
    const json = converter[side]({ target: JSON_SCHEMA_TARGET });
    return typeof json === 'object' && json !== null ? json : undefined;
  } catch {
    return undefined;
  }
}
