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
  /** Always `'method'`. */
  readonly kind: 'method';
  /** See {@link MethodOptions.idempotent}. */
  readonly idempotent: boolean;
  /** Never set at run time; carries the types. */
  readonly [phantom]?: {
    /** The argument type. */
    input: I;
    /** The result type. */
    output: O;
  };
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
  /** The service name, the first part of every wire method name. */
  readonly name: Name;
  /** The methods, by name. */
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
 * Declares a service contract. The full wire name of each method is
 * `<service>.<method>` and must fit in 255 UTF-8 bytes.
 *
 * @example
 * export const calc = defineContract('calc', {
 *   add: method<{ a: number; b: number }, number>(),
 * });
 */
export function defineContract<const Name extends string, const M extends MethodMap>(
  name: Name,
  methods: M,
): Contract<Name, M> {
  if (!nameRule.test(name)) throw new TypeError(`invalid service name ${JSON.stringify(name)}`);
  for (const key of Object.keys(methods)) {
    if (!nameRule.test(key) || key.includes('.')) throw new TypeError(`invalid method name ${JSON.stringify(key)}`);
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
