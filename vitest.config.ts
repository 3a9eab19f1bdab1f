import { defineConfig } from 'vitest/config';

const COORDINATOR_TESTS = ['coordinator/src/**/*.test.ts', 'coordinator/test/**/*.test.ts'];

/**
 * The coordinator suite runs twice: on SQLite (the embedded default) and on PostgreSQL (the shared store of
 * scale-out), against the server TESSERA_TEST_DATABASE_URL names, each data directory in its own schema
 * (coordinator/test/support/test-database.ts). Without the variable that project is left out with one
 * printed line; in CI it is never left out: its global setup fails the run instead.
 */
const postgresUrl = process.env.TESSERA_TEST_DATABASE_URL ?? '';
const runPostgres = postgresUrl !== '' || (process.env.CI ?? '') !== '';
if (!runPostgres)
  console.log(
    'coordinator-postgres skipped: set TESSERA_TEST_DATABASE_URL=postgres://… to run the coordinator suite on PostgreSQL; .ci/run does',
  );

// Test projects mirror the workspaces; `npm test` runs them all (see scripts/test.mjs).
export default defineConfig({
  test: {
    projects: [
      { test: { name: 'shared', include: ['shared/src/**/*.test.ts'], environment: 'node' } },
      {
        test: {
          name: 'coordinator',
          include: COORDINATOR_TESTS,
          // Checks that need both stores at once run in the PostgreSQL project only.
          exclude: ['**/*.postgres.test.ts'],
          environment: 'node',
          testTimeout: 60_000,
        },
      },
      ...(runPostgres
        ? [
            {
              test: {
                name: 'coordinator-postgres',
                include: COORDINATOR_TESTS,
                environment: 'node',
                testTimeout: 60_000,
                env: { TESSERA_TEST_STORE: 'postgres' },
                globalSetup: ['coordinator/test/support/postgres-global-setup.ts'],
                setupFiles: ['coordinator/test/support/postgres-setup.ts'],
              },
            },
          ]
        : []),
      {
        // XGrammar's UMD bundle cannot load as an ES module in Node; the alias evaluates it as CommonJS.
        resolve: { alias: { '@mlc-ai/web-xgrammar': new URL('./client/test-support/web-xgrammar-node.ts', import.meta.url).pathname } },
        test: { name: 'client', include: ['client/src/**/*.test.ts'], environment: 'node' },
      },
      // The repository's own tooling: the lint boundaries of eslint.config.js.
      { test: { name: 'tooling', include: ['scripts/**/*.test.ts'], environment: 'node' } },
      {
        // The Node guard of the scenarios runs the client's scoring, grammar masks included (see the client project).
        resolve: { alias: { '@mlc-ai/web-xgrammar': new URL('./client/test-support/web-xgrammar-node.ts', import.meta.url).pathname } },
        test: {
          name: 'e2e',
          include: ['e2e/**/*.test.ts'],
          environment: 'node',
          testTimeout: 180_000,
          hookTimeout: 180_000,
          // Chromium tabs and model loads are heavy on a 2-core machine: one scenario file at a time.
          fileParallelism: false,
        },
      },
    ],
  },
});
