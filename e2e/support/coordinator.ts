import { buildApp, loadConfig, type CoordinatorApp, type CoordinatorConfig } from '@tessera/coordinator';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface RunningCoordinator {
  app: CoordinatorApp;
  url: string;
  close(): Promise<void>;
}

/** A real coordinator on a random loopback port, serving the built pages and the tiny models. */
export async function startCoordinator(overrides: Partial<Record<keyof CoordinatorConfig, unknown>> = {}): Promise<RunningCoordinator> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tessera-e2e-'));
  const config = loadConfig({}, { port: 0, dataDir, rateLimitPerMinute: 0, logLevel: process.env.TESSERA_E2E_LOG ?? 'warn', ...overrides });
  const app = await buildApp({ config, logger: { level: config.logLevel } });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  return {
    app,
    url,
    close: async () => {
      await app.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
