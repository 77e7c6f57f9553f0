/**
 * The layering of src/, checked on every `npm test` (docs/architecture.md, "Layers and where
 * things go"). Layers point down only:
 *   runtime, cli → app (HTTP) → use-cases → batch, payouts, reports, webhooks, mail → store, clickhouse → domain
 * with core/ (the deps types, errors, principal and role) shared by all of them.
 * @type {import('dependency-cruiser').IConfiguration}
 */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'No import cycles, type-only imports included: a cycle means two files are one idea or a layer points up.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'nothing-below-app-imports-app',
      severity: 'error',
      comment: 'app/ is the HTTP layer: only the composition roots (runtime/, cli/) may build it.',
      from: { path: '^src/', pathNot: '^src/(app|runtime|cli)/' },
      to: { path: '^src/app/' },
    },
    {
      name: 'app-runs-no-sql',
      severity: 'error',
      comment: 'Routes and pages parse, authorize, call a use-case and answer: no kysely and no store/** except type-only imports.',
      from: { path: '^src/app/' },
      to: { path: ['^src/store/', '^node_modules/kysely(-d1)?/'], dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'domain-is-pure',
      severity: 'error',
      comment: 'domain/ does no I/O: it imports only domain/ (no node: builtins, no packages, no runtime, store, clickhouse or hono).',
      from: { path: '^src/domain/' },
      to: { pathNot: '^src/domain/' },
    },
    {
      name: 'core-is-types-and-errors',
      severity: 'error',
      comment: 'core/ is shared by every layer: it may name other layers\' types, never run their code.',
      from: { path: '^src/core/' },
      to: { pathNot: '^src/(core|domain)/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'use-cases-are-called-from-above',
      severity: 'error',
      comment: 'Only app/ and the composition roots call use-cases; the layers below them do not.',
      from: { path: '^src/(batch|payouts|reports|webhooks|mail|store|clickhouse|domain|core)/' },
      to: { path: '^src/use-cases/' },
    },
    {
      name: 'stores-are-below-the-jobs',
      severity: 'error',
      comment: 'store/ and clickhouse/ are called by batch/, payouts/, reports/, webhooks/ and mail/, not the other way.',
      from: { path: '^src/(store|clickhouse)/' },
      to: { path: '^src/(batch|payouts|reports|webhooks|mail)/' },
    },
    {
      name: 'runtime-is-the-top',
      severity: 'error',
      comment: 'runtime/ composes the app for Node and Workers; nothing but the CLI imports it.',
      from: { path: '^src/', pathNot: '^src/(runtime|cli)/' },
      to: { path: '^src/runtime/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'] },
  },
};
