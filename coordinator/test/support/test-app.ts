import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildApp, type BuildAppOptions, type CoordinatorApp } from '../../src/app.ts';
import { loadConfig, type CoordinatorConfig } from '../../src/config.ts';
import { testDatabaseUrl } from './test-database.ts';

export interface TestApp {
  app: CoordinatorApp;
  url: string;
  dataDir: string;
  close(): Promise<void>;
}

/**
 * Admission as the suites that are not about it need it: many tabs and keys from 127.0.0.1, and no proof of
 * work (raw-socket tests say hello without one; ScriptedTabs still make and send one). The admission tests
 * set the real limits themselves.
 */
export const OPEN_ADMISSION = {
  identityProofBits: 0,
  tabsPerAddress: 100_000,
  tabsPerPrefix: 100_000,
  newIdentitiesPerAddress: 100_000,
  newIdentitiesPerPrefix: 100_000,
  // Every tab of a test is on 127.0.0.1: one network. The collusion tests give tabs their own addresses.
  guardsFromOtherNetworks: 'false',
} satisfies Partial<Record<keyof CoordinatorConfig, unknown>>;

/**
 * A real coordinator listening on a random loopback port with its own database: a SQLite file in `dataDir`,
 * or, in the coordinator-postgres project, the PostgreSQL schema of `dataDir` (the same one again when a
 * test restarts a coordinator on the same data directory).
 */
export async function startTestApp(
  overrides: Partial<Record<keyof CoordinatorConfig, unknown>> = {},
  dataDir?: string,
  /** fastify's logger option, for a test that reads the logs; none by default. */
  logger: BuildAppOptions['logger'] = false,
): Promise<TestApp> {
  const dir = dataDir ?? mkdtempSync(join(tmpdir(), 'tessera-test-'));
  const databaseUrl = await testDatabaseUrl(dir);
  const config = loadConfig(
    {},
    {
      port: 0,
      dataDir: dir,
      databaseUrl,
      logLevel: 'silent',
      rateLimitPerMinute: 0,
      // Planted checks would add jobs other tests count; guard-pay.test.ts turns them on.
      plantedChecks: 'false',
      ...OPEN_ADMISSION,
      ...overrides,
    },
  );
  const app = await buildApp({ config, logger });
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  return {
    app,
    url: address,
    dataDir: dir,
    close: async () => {
      await app.close();
      if (dataDir === undefined) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Polls until `check` returns a value other than undefined, or fails after `timeoutMs`. */
export async function eventually<T>(check: () => T | undefined | Promise<T | undefined>, timeoutMs = 5000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
