// Dependency rules of the monorepo (CONVENTIONS.md "The shape" and "Layers
// show in folders"; issue 13), checked by dependency-cruiser in the test
// command: test/dependency-rules.test.ts cruises packages/*/src with this
// file and fails on any violation (`npx depcruise packages/*/src` shows the
// same). Type-only imports count: a cycle through `import type` is still a
// cycle between the modules' concepts.
//
// What the hand-written test/architecture.test.ts still checks (not a
// dependency-cruiser rule): that each package.json lists exactly the packages
// its sources import, workspace versions match, node built-ins carry the
// `node:` prefix, and the per-package allow-lists of CONVENTIONS.md.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'No import cycles in any package (issue 13). Break one by moving the shared type into its own module.',
      from: { path: '^packages/[^/]+/src/' },
      to: { circular: true },
    },
    {
      name: 'core-no-node-builtins',
      severity: 'error',
      comment: 'The engine is sans-io: no node:* (CONVENTIONS.md "The shape").',
      from: { path: '^packages/core/src/' },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'core-imports-only-itself',
      severity: 'error',
      comment: '@udprpc/core imports nothing outside its own src/ (no msgpackr, no other workspace package).',
      from: { path: '^packages/core/src/' },
      to: { pathNot: '^packages/core/src/' },
    },
    {
      name: 'client-not-server',
      severity: 'error',
      comment: 'Client and server never import each other; both share the contract type from core.',
      from: { path: '^packages/client/' },
      to: { path: '^(packages/server/|node_modules/@udprpc/server/)' },
    },
    {
      name: 'server-not-client',
      severity: 'error',
      comment: 'Client and server never import each other; both share the contract type from core.',
      from: { path: '^packages/server/' },
      to: { path: '^(packages/client/|node_modules/@udprpc/client/)' },
    },
    {
      name: 'wire-is-the-bottom-layer',
      severity: 'error',
      comment:
        'core/src/wire (frames, frame bodies, message ids) imports nothing above it: only modules inside wire/.',
      from: { path: '^packages/core/src/wire/' },
      to: { path: '^packages/core/src/', pathNot: '^packages/core/src/wire/' },
    },
    {
      name: 'congestion-stands-alone',
      severity: 'error',
      comment:
        'core/src/congestion (the congestion window) is a policy over numbers: it imports nothing from the rest of the core, so the transfers that use it cannot leak into it.',
      from: { path: '^packages/core/src/congestion/' },
      to: { path: '^packages/core/src/', pathNot: '^packages/core/src/congestion/' },
    },
    {
      name: 'core-client-not-server',
      severity: 'error',
      comment: 'Inside core, the client engine (core/src/client) and the server engine (core/src/server) never import each other.',
      from: { path: '^packages/core/src/client/' },
      to: { path: '^packages/core/src/server/' },
    },
    {
      name: 'core-server-not-client',
      severity: 'error',
      comment: 'Inside core, the client engine (core/src/client) and the server engine (core/src/server) never import each other.',
      from: { path: '^packages/core/src/server/' },
      to: { path: '^packages/core/src/client/' },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      comment: 'Every import resolves; otherwise the rules above could not see it.',
      from: { path: '^packages/[^/]+/src/' },
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)(dist|node_modules)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.check.json' },
    // Workspace packages resolve to their TypeScript sources, as vitest and tsc see them.
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['@udprpc/source', 'import', 'types', 'default'],
      extensions: ['.ts', '.js', '.d.ts'],
    },
  },
};
