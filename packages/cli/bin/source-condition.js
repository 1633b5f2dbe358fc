// A module.register() resolve hook used by ./udprpc.js when it runs the
// TypeScript sources: imports made by code outside node_modules (the
// workspace packages, reached through their symlinks' real paths) resolve
// with the "@udprpc/source" export condition, selecting each package's src/index.ts.
// Third-party packages resolve as usual.

/** @type {import('node:module').ResolveHook} */
export async function resolve(specifier, context, nextResolve) {
  const parent = context.parentURL;
  if (parent === undefined || parent.includes('/node_modules/') || context.conditions.includes('@udprpc/source')) {
    return nextResolve(specifier, context);
  }
  return nextResolve(specifier, { ...context, conditions: [...context.conditions, '@udprpc/source'] });
}
