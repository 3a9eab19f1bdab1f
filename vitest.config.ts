import { defineConfig } from 'vitest/config';

// Test projects mirror the workspaces; `npm test` runs them all (see scripts/test.mjs).
export default defineConfig({
  test: {
    projects: [
      { test: { name: 'shared', include: ['shared/src/**/*.test.ts'], environment: 'node' } },
      {
        test: {
          name: 'coordinator',
          include: ['coordinator/src/**/*.test.ts', 'coordinator/test/**/*.test.ts'],
          environment: 'node',
          testTimeout: 60_000,
        },
      },
      { test: { name: 'client', include: ['client/src/**/*.test.ts'], environment: 'node' } },
      // The repository's own tooling: the lint boundaries of eslint.config.js.
      { test: { name: 'tooling', include: ['scripts/**/*.test.ts'], environment: 'node' } },
      {
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
