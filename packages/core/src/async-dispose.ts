/**
 * The key of the method that `await using` calls: `Symbol.asyncDispose`
 * (Node.js 20.4 and later). Where the runtime lacks it, a private stand-in
 * keeps classes that use it valid; their dispose method is then simply
 * unreachable, like `await using` itself. Clients and servers share this one
 * symbol.
 */
export const asyncDisposeSymbol: typeof Symbol.asyncDispose =
  (Symbol as { asyncDispose?: typeof Symbol.asyncDispose }).asyncDispose ?? (Symbol('Symbol.asyncDispose') as typeof Symbol.asyncDispose);
