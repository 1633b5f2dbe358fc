// Which TypeScript types a contract may use: those the codecs carry
// faithfully. `method<I, O>()` checks I and O against `Carriable<T>`, so a
// function, a symbol or a Map in a contract is a compile error instead of a
// value that silently vanishes (JSON) or changes shape (msgpack) on the wire.
// The check sits on the argument list rather than in a type-parameter
// constraint: `I extends Carriable<I>` is a circular constraint for a
// conditional type.

/**
 * Collections a codec in the program carries faithfully, as flags: `map`
 * and/or `set`. A codec package adds its own by declaration merging, which
 * is why this is an interface: `@udprpc/codec-msgpack` adds `set`. It is
 * program-wide, so it says what *some* codec in the program carries.
 *
 * @example
 * declare module '@udprpc/core' {
 *   interface CarriedTypes { set: true }
 * }
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface CarriedTypes {}

type Carried = keyof CarriedTypes;

/** What every codec carries as a leaf: binary data and dates (msgpack natively, JSON as the program says). */
type Leaf = string | number | boolean | bigint | null | undefined | void | Date | ArrayBufferView | ArrayBuffer;

/** Never carried: no codec can send code, identity or a value not there yet. */
type Uncarriable = symbol | ((...args: never[]) => unknown) | PromiseLike<unknown> | WeakMap<object, unknown> | WeakSet<object>;

/**
 * `T` with every part that no codec in the program carries replaced by
 * `never`: functions, symbols (as values or keys), promises, weak
 * collections, and Map/Set unless {@link CarriedTypes} flags them. Objects,
 * arrays and tuples are checked member by member; `unknown` and `any` pass.
 * (A Map is checked before a Set because a Map also fits ReadonlySet's shape.)
 */
export type Carriable<T> = unknown extends T
  ? T
  : T extends Leaf
    ? T
    : T extends Uncarriable
      ? never
      : T extends ReadonlyMap<unknown, unknown>
        ? 'map' extends Carried
          ? T
          : never
        : T extends ReadonlySet<unknown>
          ? 'set' extends Carried
            ? T
            : never
          : T extends object
            ? { [K in keyof T]: K extends symbol ? never : Carriable<T[K]> }
            : T;

/** The compile error a contract gets for a type the codec cannot carry. */
export interface NotCarriable<Which extends string> {
  /** The explanation shown in the compile error: which side (`input` or `output`) holds a type the codec cannot carry. */
  readonly error: `the ${Which} type holds a function, symbol, promise, Map or Set, which the codec cannot carry`;
}

/** The argument list of `method<I, O>()`: `[options?]` when I and O are carriable, an impossible one otherwise. */
export type CarriableArgs<I, O, Options> = [I] extends [Carriable<I>]
  ? [O] extends [Carriable<O>]
    ? [options?: Options]
    : [options: NotCarriable<'output'>]
  : [options: NotCarriable<'input'>];
