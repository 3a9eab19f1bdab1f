import { createHash, randomUUID } from 'node:crypto';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { openPostgresDatabase } from '../../src/db/postgres-database.ts';
import type { SqlDatabase } from '../../src/db/sql-database.ts';
import { openSqliteDatabase } from '../../src/db/sqlite-database.ts';

/**
 * Which store this test run uses. The `coordinator-postgres` vitest project sets TESSERA_TEST_STORE to
 * `postgres` and runs the whole coordinator suite again on PostgreSQL (TESSERA_TEST_DATABASE_URL, which
 * `.ci/run` starts); every other run uses SQLite files, as `npm start` does.
 */
export const onPostgres = process.env.TESSERA_TEST_STORE === 'postgres';

/** Schemas this test file created; `postgres-setup.ts` drops them after the file. */
const created = new Set<string>();

function serverUrl(): string {
  const url = process.env.TESSERA_TEST_DATABASE_URL ?? '';
  if (url === '') throw new Error('TESSERA_TEST_DATABASE_URL is not set: the coordinator-postgres project needs a PostgreSQL server');
  return url;
}

/**
 * Each data directory has its own schema on the test server, named after the directory: a test that
 * restarts a coordinator on the same data directory (in-process or as a child process) finds the same
 * tables, as it finds the same SQLite file.
 */
export function schemaFor(dataDir: string): string {
  return `t_${createHash('sha256').update(resolve(dataDir)).digest('hex').slice(0, 24)}`;
}

/** The server's URL with `schema` first (and only) on the search path. */
export function urlFor(schema: string): string {
  const url = serverUrl();
  if (new URL(url).searchParams.has('options'))
    throw new Error('TESSERA_TEST_DATABASE_URL must not set options: the tests set the search_path');
  return `${url}${url.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${schema}`)}`;
}

async function withServer<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: serverUrl() });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/**
 * The TESSERA_DATABASE_URL a coordinator on `dataDir` is given: '' on SQLite (it uses `<dataDir>/tessera.db`),
 * else the URL of the data directory's schema, created if it is not there yet.
 */
export async function testDatabaseUrl(dataDir: string): Promise<string> {
  if (!onPostgres) return '';
  const schema = schemaFor(dataDir);
  if (!created.has(schema)) {
    await withServer((client) => client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`));
    created.add(schema);
  }
  return urlFor(schema);
}

/**
 * The database a coordinator on `dataDir` keeps (to seed it or read it back), opened and migrated as the
 * coordinator opens it; without `dataDir`, a fresh one (SQLite in memory, or a new schema).
 */
export async function openTestDatabase(dataDir?: string): Promise<SqlDatabase> {
  if (!onPostgres) return openSqliteDatabase(dataDir === undefined ? ':memory:' : join(dataDir, 'tessera.db'));
  return openPostgresDatabase(await testDatabaseUrl(dataDir ?? `/fresh/${randomUUID()}`));
}

/** Drops the schemas this file created (after its last test: coordinators restarted on one data directory share one). */
export async function dropTestSchemas(): Promise<void> {
  if (created.size === 0) return;
  const schemas = [...created];
  created.clear();
  await withServer(async (client) => {
    // A connection a test forgot to close would hold its locks: fail in seconds rather than hang.
    await client.query(`SET lock_timeout = '10s'`);
    for (const schema of schemas) await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  });
}
