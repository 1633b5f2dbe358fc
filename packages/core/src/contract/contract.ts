// Service contracts: written once in TypeScript, used by both sides. Argument
// and result types ride along as phantom fields on each method definition
// (the trick tRPC uses for `_def.$types`), so no code generation is needed.

import type { CarriableArgs } from './carriable.js';
import type { StandardSchemaV1 } from './standard-schema.js';

declare const phantom: unique symbol;

/** Per-method options that change delivery semantics. */
export interface MethodOptions {
  /**
   * The method may safely run more than once for one call. The server may
   * then skip caching its reply, and a client may fail it over or hedge it
   * to another endpoint. Defaults to false: at-most-once.
   */
  idempotent?: boolean;
}

/** Any Standard Schema v1 (zod 4, valibot 1, arktype 2, …). */
export type AnySchema = StandardSchemaV1;

/**
 * A method's definition: its options, its schemas when it has some, and
 * phantom types. `I` is what callers pass, `O` what they get back; `HI` is
 * what the handler receives (the input schema's output, after transforms)
 * and `HO` what it returns (what the output schema accepts). Without
 * schemas, `HI = I` and `HO = O`.
 */
export interface MethodDef<I, O, HI = I, HO = O> {
  /** Always `'method'`. */
  readonly kind: 'method';
  /** See {@link MethodOptions.idempotent}. */
  readonly idempotent: boolean;
  /** Validates the argument (client before sending, server before the handler). */
  readonly input?: AnySchema;
  /** Validates the handler's result before the server sends it. */
  readonly output?: AnySchema;
  /** Never set at run time; carries the types. */
  readonly [phantom]?: {
    /** The argument type callers pass. */
    input: I;
    /** The result type callers get. */
    output: O;
    /** What the handler receives (the input schema's output). */
    handlerInput: HI;
    /** What the handler returns (what the output schema accepts). */
    handlerOutput: HO;
  };
}

/** Any method definition. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyMethodDef = MethodDef<any, any, any, any>;

/**
 * What every method definition has at run time. Contracts are constrained by
 * this rather than by `MethodDef<any, any>`: a contextual `any` would leak into
 * a bare `method()` inside `defineContract` instead of its `void` defaults.
 */
export interface MethodBase {
  /** Always `'method'`. */
  readonly kind: 'method';
  /** See {@link MethodOptions.idempotent}. */
  readonly idempotent: boolean;
  /** The input schema, if the method has one. */
  readonly input?: AnySchema;
  /** The output schema, if the method has one. */
  readonly output?: AnySchema;
}

/** The methods of a contract, by name. */
export type MethodMap = Record<string, MethodBase>;

/** A named service and its methods. */
export interface Contract<Name extends string = string, M extends MethodMap = MethodMap> {
  /** The service name, the first part of every wire method name. */
  readonly name: Name;
  /** The methods, by name. */
  readonly methods: M;
}

/** The argument type of a method definition, as callers pass it. */
export type InputOf<D> = D extends MethodDef<infer I, unknown, unknown, unknown> ? I : never;
/** The result type of a method definition, as callers receive it. */
export type OutputOf<D> = D extends MethodDef<unknown, infer O, unknown, unknown> ? O : never;
/** The argument type the handler receives: the input schema's output (after transforms), else {@link InputOf}. */
export type HandlerInputOf<D> = D extends MethodDef<unknown, unknown, infer HI, unknown> ? HI : never;
/** The result type the handler returns: what the output schema accepts, else {@link OutputOf}. */
export type HandlerOutputOf<D> = D extends MethodDef<unknown, unknown, unknown, infer HO> ? HO : never;

/** Method options with schemas: `input`, `output` or both. */
export interface SchemaMethodOptions<SI extends AnySchema | undefined, SO extends AnySchema | undefined> extends MethodOptions {
  /** Schema of the argument; the method takes `void` without one. */
  input?: SI;
  /** Schema of the result; the method returns `void` without one. */
  output?: SO;
}

type SchemaIn<S> = S extends AnySchema ? StandardSchemaV1.InferInput<S> : void;
type SchemaOut<S> = S extends AnySchema ? StandardSchemaV1.InferOutput<S> : void;

/** The definition `method({ input, output })` returns: types from the schemas. */
export type SchemaMethodDef<SI extends AnySchema | undefined, SO extends AnySchema | undefined> = MethodDef<
  SchemaIn<SI>,
  SchemaOut<SO>,
  SchemaOut<SI>,
  SchemaIn<SO>
>;

/**
 * Declares a method. With Standard Schemas (zod 4, valibot 1, arktype 2)
 * for `input` and/or `output`, the types come from them and both sides
 * validate at run time; with type arguments only, the types are checked at
 * compile time and must be ones the codec carries (see {@link CarriableArgs}).
 *
 * @example
 * const add = method({ input: z.object({ a: z.number(), b: z.number() }), output: z.number() });
 * const get = method<{ key: string }, number>({ idempotent: true });
 */
export function method<SI extends AnySchema | undefined = undefined, SO extends AnySchema | undefined = undefined>(
  options: SchemaMethodOptions<SI, SO> & ({ input: SI } | { output: SO }),
): SchemaMethodDef<SI, SO>;
export function method<I = void, O = void>(...options: CarriableArgs<I, O, MethodOptions>): MethodDef<I, O>;
export function method(options: SchemaMethodOptions<AnySchema | undefined, AnySchema | undefined> = {}): AnyMethodDef {
  const def: { kind: 'method'; idempotent: boolean; input?: AnySchema; output?: AnySchema } = {
    kind: 'method',
    idempotent: options.idempotent ?? false,
  };
  if (options.input !== undefined) def.input = checkSchema(options.input, 'input');
  if (options.output !== undefined) def.output = checkSchema(options.output, 'output');
  return def;
}

function checkSchema(schema: AnySchema, role: string): AnySchema {
  const props = (schema as Partial<AnySchema> | null)?.['~standard'];
  if (props?.version !== 1 || typeof props.validate !== 'function') {
    throw new TypeError(`method(): ${role} is not a Standard Schema v1 (it needs ['~standard'].validate)`);
  }
  return schema;
}

const nameRule = /^[A-Za-z_][\w.-]*$/;

/**
 * Method names a contract may not use: a stub is a plain object with one
 * property per method, so these would shadow what JavaScript itself looks
 * up on any object. `then` makes the stub a thenable (`await stub` calls the
 * method with the promise's resolvers and never settles), `toJSON` runs on
 * `JSON.stringify`, `toString` / `valueOf` / `toLocaleString` on string and
 * number conversion, and the rest are `Object.prototype` members that code
 * (and `__proto__`, the prototype itself) expects to find there.
 */
export const RESERVED_METHOD_NAMES = Object.freeze([
  'then',
  'toJSON',
  'constructor',
  'toString',
  'toLocaleString',
  'valueOf',
  'hasOwnProperty',
  'isPrototypeOf',
  'propertyIsEnumerable',
  '__proto__',
  '__defineGetter__',
  '__defineSetter__',
  '__lookupGetter__',
  '__lookupSetter__',
] as const);

/** A name in {@link RESERVED_METHOD_NAMES}. */
export type ReservedMethodName = (typeof RESERVED_METHOD_NAMES)[number];

const reserved: ReadonlySet<string> = new Set(RESERVED_METHOD_NAMES);

/**
 * Rejects, at compile time, a method map naming a method `then` or `toJSON`.
 * The `Object.prototype` names cannot be told apart at the type level (every
 * object type has them), so only the run-time check catches those.
 */
export type NoReservedNames<M> = { readonly [K in keyof M & ('then' | 'toJSON')]?: never };

/**
 * Declares a service contract. The full wire name of each method is
 * `<service>.<method>` and must fit in 255 UTF-8 bytes. Method names in
 * {@link RESERVED_METHOD_NAMES} (`then`, `toJSON`, `constructor`, …) are
 * refused: a TypeError here, and a compile error where the name is known.
 *
 * @example
 * export const calc = defineContract('calc', {
 *   add: method<{ a: number; b: number }, number>(),
 * });
 */
export function defineContract<const Name extends string, const M extends MethodMap>(
  name: Name,
  methods: M & NoReservedNames<M>,
): Contract<Name, M> {
  if (!nameRule.test(name)) throw new TypeError(`invalid service name ${JSON.stringify(name)}`);
  for (const key of Object.keys(methods)) {
    if (!nameRule.test(key) || key.includes('.')) throw new TypeError(`invalid method name ${JSON.stringify(key)}`);
    if (reserved.has(key)) {
      throw new TypeError(`method name ${JSON.stringify(key)} is reserved: a stub's ${key} would shadow what JavaScript looks up on every object (${RESERVED_METHOD_NAMES.join(', ')})`);
    }
    if (new TextEncoder().encode(`${name}.${key}`).length > 255) {
      throw new TypeError(`method name ${name}.${key} is longer than 255 bytes`);
    }
  }
  return Object.freeze({ name, methods: Object.freeze({ ...methods }) }) as Contract<Name, M>;
}

/** The wire name of a method: `service.method`. */
export function wireName(contract: Contract, methodName: string): string {
  return `${contract.name}.${methodName}`;
}
