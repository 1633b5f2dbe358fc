// Service contracts: written once in TypeScript, used by both sides. Argument
// and result types ride along as phantom fields on each method definition
// (the trick tRPC uses for `_def.$types`), so no code generation is needed.

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

/** A method's definition: its options plus phantom input/output types. */
export interface MethodDef<I, O> {
  readonly kind: 'method';
  readonly idempotent: boolean;
  /** Never set at run time; carries the types. */
  readonly [phantom]?: { input: I; output: O };
}

/** Any method definition. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyMethodDef = MethodDef<any, any>;

/**
 * What every method definition has at run time. Contracts are constrained by
 * this rather than by `MethodDef<any, any>`: a contextual `any` would leak into
 * a bare `method()` inside `defineContract` instead of its `void` defaults.
 */
export interface MethodBase {
  readonly kind: 'method';
  readonly idempotent: boolean;
}

/** The methods of a contract, by name. */
export type MethodMap = Record<string, MethodBase>;

/** A named service and its methods. */
export interface Contract<Name extends string = string, M extends MethodMap = MethodMap> {
  readonly name: Name;
  readonly methods: M;
}

/** The argument type of a method definition. */
export type InputOf<D> = D extends MethodDef<infer I, unknown> ? I : never;
/** The result type of a method definition. */
export type OutputOf<D> = D extends MethodDef<unknown, infer O> ? O : never;

/**
 * Declares a method taking `I` and returning `O`.
 *
 * @example
 * const get = method<{ key: string }, number>({ idempotent: true });
 */
export function method<I = void, O = void>(options: MethodOptions = {}): MethodDef<I, O> {
  return { kind: 'method', idempotent: options.idempotent ?? false };
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
