/**
 * Layer boundaries of the hexagon, checked in `npm run lint`:
 *   depcruise src --config .dependency-cruiser.cjs
 *
 * domain       -> domain only (no npm packages, no node: built-ins)
 * application  -> domain and application only (no npm packages, no node: built-ins)
 * adapters     -> inward (application, domain) and npm/node, never sideways
 *
 * @type {import('dependency-cruiser').IConfiguration}
 */
module.exports = {
  forbidden: [
    {
      name: 'no-domain-to-outside',
      comment:
        'src/domain is pure: it may import only src/domain (no npm packages, no application or adapter code).',
      severity: 'error',
      from: { path: '^src/domain/' },
      to: { pathNot: '^src/domain/', dependencyTypesNot: ['core'] },
    },
    {
      name: 'application-only-domain',
      comment:
        'src/application may import only src/domain and src/application; adapters are bound in the composition root.',
      severity: 'error',
      from: { path: '^src/application/' },
      to: { pathNot: '^src/(domain|application)/', dependencyTypesNot: ['core'] },
    },
    {
      name: 'no-node-builtins-in-core',
      comment:
        'src/domain and src/application must not import node built-ins (node:crypto, node:fs, ...): time, randomness and I/O come through ports.',
      severity: 'error',
      from: { path: '^src/(domain|application)/' },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'adapters-not-sideways',
      comment: 'Inbound adapters call use cases, not outbound adapters.',
      severity: 'error',
      from: { path: '^src/adapters/inbound/' },
      to: { path: '^src/adapters/outbound/' },
    },
    {
      name: 'adapters-not-sideways',
      comment: 'Outbound adapters never reach back into inbound adapters.',
      severity: 'error',
      from: { path: '^src/adapters/outbound/' },
      to: { path: '^src/adapters/inbound/' },
    },
    {
      name: 'adapters-not-sideways',
      comment:
        "An outbound adapter of one technology (e.g. postgres) must not import another's (e.g. redis) internals.",
      severity: 'error',
      from: { path: '^src/adapters/outbound/([^/]+)/' },
      to: {
        path: '^src/adapters/outbound/',
        pathNot: '^src/adapters/outbound/($1|shared)/',
      },
    },
    {
      name: 'no-circular',
      comment: 'Circular dependencies make modules hard to reason about and to load.',
      severity: 'warn',
      from: {},
      to: { circular: true },
    },
    {
      name: 'not-to-unresolvable',
      comment: 'Every import must resolve (a typo, a missing file or a package not installed).',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
    {
      name: 'not-to-dev-dep',
      comment:
        'Production code under src/ must not import devDependencies (they are absent in a production install).',
      severity: 'error',
      from: { path: '^src/', pathNot: '\\.(spec|test)\\.ts$' },
      to: { dependencyTypes: ['npm-dev'], dependencyTypesNot: ['type-only'] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      mainFields: ['module', 'main', 'types', 'typings'],
    },
    skipAnalysisNotInRules: true,
  },
};
