/** The outcome of an operation that reports failure as a value, never by throwing. */
export type Result<T, E = string> =
  | {
      /** It worked. */
      ok: true;
      /** The result. */
      value: T;
    }
  | {
      /** It failed. */
      ok: false;
      /** Why. */
      error: E;
    };

/** Builds a successful {@link Result}. */
export function ok<T>(value: T): Extract<Result<T, never>, { ok: true }> {
  return { ok: true, value };
}

/** Builds a failed {@link Result}. */
export function err<E>(error: E): Extract<Result<never, E>, { ok: false }> {
  return { ok: false, error };
}
