import { buildApp, loadConfig, type CoordinatorApp, type CoordinatorConfig } from '@tessera/coordinator';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface RunningCoordinator {
  app: CoordinatorApp;
  url: string;
  close(): Promise<void>;
}

/**
 * Every tab of a scenario comes from one address and most make a fresh key: admission's limits are raised
 * so that they never bind. Pages and scripted tabs still make and send real identity proofs, at 8 bits
 * (milliseconds); `identity-proof.test.ts` runs the shipped difficulty.
 */
export const E2E_ADMISSION = {
  identityProofBits: 8,
  tabsPerAddress: 1000,
  tabsPerPrefix: 1000,
  newIdentitiesPerAddress: 1000,
  newIdentitiesPerPrefix: 1000,
  // Every tab of these scenarios runs on one machine: one network.
  guardsFromOtherNetworks: 'false',
} satisfies Partial<Record<keyof CoordinatorConfig, unknown>>;

/**
 * A real coordinator on a random loopback port, serving the built pages and the tiny models.
 * `listen.host` puts it on another address, e.g. a network namespace's host side.
 */
export async function startCoordinator(
  overrides: Partial<Record<keyof CoordinatorConfig, unknown>> = {},
  listen: { host?: string } = {},
): Promise<RunningCoordinator> {
  const host = listen.host ?? '127.0.0.1';
  const dataDir = mkdtempSync(join(tmpdir(), 'tessera-e2e-'));
  const config = loadConfig(
    {},
    { port: 0, dataDir, rateLimitPerMinute: 0, logLevel: process.env.TESSERA_E2E_LOG ?? 'warn', host, ...E2E_ADMISSION, ...overrides },
  );
  const app = await buildApp({ config, logger: { level: config.logLevel } });
  const url = await app.listen({ host, port: 0 });
  return {
    app,
    url,
    close: async () => {
      await app.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
