import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe } from 'vitest';
import { describeWithRedis, testRedisPrefix, testRedisUrl } from './test-redis.ts';
import { startTestApp, type TestApp } from './test-app.ts';

/** Instances of one network under test, and SQL on their schema (to stage what a dead instance would leave). */
export interface TestCluster {
  /** `describe` when PostgreSQL and Redis are given, else skipped with a printed reason (never in CI). */
  describe: typeof describe | typeof describe.skip;
  /** Two coordinators on one new PostgreSQL schema and one Redis prefix: one network of two instances. */
  twoInstances(overrides?: Record<string, unknown>): Promise<[TestApp, TestApp]>;
  /** Runs SQL on the last network's schema; `{schema}` in the text is replaced with its name. */
  query(sql: string, params?: unknown[]): Promise<pg.QueryResult>;
}

/**
 * The scale-out tests' network: a PostgreSQL schema per test (`TESSERA_TEST_DATABASE_URL`) and a Redis key
 * prefix per test (`TESSERA_TEST_REDIS_URL`), dropped after the file. `track` closes each app after its test.
 */
export function testCluster(file: string, track: <T extends { close(): unknown }>(thing: T) => T): TestCluster {
  const serverUrl = process.env.TESSERA_TEST_DATABASE_URL ?? '';
  const describeCluster = ((): typeof describe | typeof describe.skip => {
    if (serverUrl !== '') return describeWithRedis(file);
    if (process.env.CI) throw new Error(`TESSERA_TEST_DATABASE_URL is not set in CI: .ci/run must start PostgreSQL for ${file}.`);
    console.warn(`[${file}] skipped: TESSERA_TEST_DATABASE_URL is not set (PostgreSQL); .ci/run sets it`);
    return describe.skip;
  })();
  let server: pg.Client | undefined;
  const schemas: string[] = [];

  beforeAll(async () => {
    if (serverUrl === '' || testRedisUrl === undefined) return;
    server = new pg.Client({ connectionString: serverUrl });
    await server.connect();
  });

  afterAll(async () => {
    for (const schema of schemas) await server?.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await server?.end();
  });

  const connected = (): pg.Client => {
    if (server === undefined) throw new Error('no PostgreSQL for this test');
    return server;
  };

  return {
    describe: describeCluster,
    async twoInstances(overrides = {}) {
      const schema = `scale_${randomUUID().replaceAll('-', '').slice(0, 16)}`;
      schemas.push(schema);
      await connected().query(`CREATE SCHEMA ${schema}`);
      const databaseUrl = `${serverUrl}${serverUrl.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${schema}`)}`;
      const shared = { databaseUrl, redisUrl: testRedisUrl, redisPrefix: testRedisPrefix(), ...overrides };
      // One after the other: the first migrates the schema.
      const a = track(await startTestApp(shared));
      const b = track(await startTestApp(shared));
      return [a, b];
    },
    query(sql, params = []) {
      return connected().query(sql.replaceAll('{schema}', schemas.at(-1) ?? ''), params);
    },
  };
}
