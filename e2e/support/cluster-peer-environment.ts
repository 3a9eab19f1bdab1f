import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { Browser } from 'playwright-core';
import { launchChromiumInNamespace } from './browser.ts';
import { E2E_ADMISSION } from './coordinator.ts';
import { startCoordinatorProcess, type CoordinatorProcess } from './coordinator-process.ts';
import { createNetworkNamespace, namespaceSupport, type NetworkNamespace } from './network-namespace.ts';

/** Several coordinator processes of one network on a namespace's host address, and a Chromium inside it. */
export interface ClusterPeerEnvironment {
  namespace: NetworkNamespace;
  /** Each on its own port of `namespace.hostAddress`, all on one schema and one Redis prefix. */
  instances: readonly CoordinatorProcess[];
  browser: Browser;
  /** A connection to the network's PostgreSQL, for checks on its tables. */
  database: pg.Client;
  /** The schema the instances share (also their Redis prefix). */
  schema: string;
  /** Closes the browser, the instances, the namespace, drops the schema; each even when another fails. */
  close(): Promise<void>;
}

export interface ClusterPeerEnvironmentOptions {
  databaseUrl: string;
  redisUrl: string;
  instances?: number;
}

/** `url` with its search_path set to `schema`: the coordinator keeps its tables in the first schema listed. */
export function withSchema(url: string, schema: string): string {
  return `${url}${url.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${schema}`)}`;
}

/**
 * The peer scenarios across instances: tabs that link over WebRTC must run in a network namespace
 * (DESIGN.md section 9), so every instance listens on its host side, and the one Chromium treats every
 * instance's origin as secure. The instances run as operators run them (processes, PostgreSQL and Redis
 * from the environment); a fresh schema keeps the network apart from anything else on the servers.
 */
export async function startClusterPeerEnvironment(options: ClusterPeerEnvironmentOptions): Promise<ClusterPeerEnvironment> {
  const support = namespaceSupport();
  if (!support.ok) throw new Error(`Peer-to-peer e2e tests need a network namespace: ${support.reason}`);
  const schema = `cluster_peers_${Date.now().toString(36)}_${process.pid}`;
  const database = new pg.Client({ connectionString: options.databaseUrl });
  const dataDirs: string[] = [];
  const instances: CoordinatorProcess[] = [];
  let namespace: NetworkNamespace | undefined;
  let browser: Browser | undefined;

  const close = async (): Promise<void> => {
    await browser?.close().catch(() => undefined);
    await Promise.all(instances.map((instance) => instance.stop('SIGKILL').catch(() => undefined)));
    await namespace?.close().catch(() => undefined);
    await database.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined);
    await database.end().catch(() => undefined);
    for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
  };

  try {
    await database.connect();
    await database.query(`CREATE SCHEMA ${schema}`);
    const made = await createNetworkNamespace();
    namespace = made;
    const start = (): Promise<CoordinatorProcess> => {
      const dataDir = mkdtempSync(join(tmpdir(), 'tessera-cluster-peers-'));
      dataDirs.push(dataDir);
      return startCoordinatorProcess(
        // `info`: the process announces its address at that level.
        { port: 0, host: made.hostAddress, dataDir, rateLimitPerMinute: 0, logLevel: 'info', ...E2E_ADMISSION },
        {
          TESSERA_DATABASE_URL: withSchema(options.databaseUrl, schema),
          TESSERA_REDIS_URL: options.redisUrl,
          TESSERA_REDIS_PREFIX: schema,
        },
      );
    };
    // The first one migrates the schema; the others find it done.
    instances.push(await start());
    for (let i = 1; i < (options.instances ?? 2); i++) instances.push(await start());
    browser = await launchChromiumInNamespace(
      made,
      instances.map((instance) => instance.url),
    );
    return { namespace: made, instances, browser, database, schema, close };
  } catch (error) {
    await close();
    throw error;
  }
}
