/** One step of an interceptor chain: takes the request, resolves with the result. */
export type Next<Req, Res = unknown> = (req: Req) => Promise<Res>;

/** A layer of the onion (CONVENTIONS.md 8): given the next step, returns a step. */
export type Interceptor<Req, Res = unknown> = (next: Next<Req, Res>) => Next<Req, Res>;

/**
 * Composes `interceptors` around `last`, the first in the list outermost
 * (connect-es, undici `Dispatcher.compose`). The one composition of both the
 * client's and the server's chains. With no interceptors it is `last` itself;
 * otherwise a layer that throws instead of rejecting still yields a rejected
 * promise, so a caller sees every failure in one place.
 */
export function compose<Req, Res>(interceptors: readonly Interceptor<Req, Res>[], last: Next<Req, Res>): Next<Req, Res> {
  if (interceptors.length === 0) return last;
  let next = last;
  for (let i = interceptors.length - 1; i >= 0; i--) next = interceptors[i]!(next);
  const onion = next;
  return (req) => {
    try {
      return Promise.resolve(onion(req));
    } catch (error) {
      return Promise.reject(error);
    }
  };
}
