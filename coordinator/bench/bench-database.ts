import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** Tasks in a benchmark schema by status (`queued`, `assigned`, `succeeded`, `failed`, `cancelled`). */
export type TaskStatusCounts = Record<string, number>;

export interface BenchSchema {
  /** The server's URL with the schema on the search path: what the coordinators are given. */
  url: string;
  drop(): Promise<void>;
  /** How many tasks the coordinators stored, by status. */
  taskCounts(): Promise<TaskStatusCounts>;
}

/** Runs one statement on a connection of its own (the benchmark asks rarely; no pool to close). */
async function query(url: string, sql: string): Promise<Record<string, unknown>[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<Record<string, unknown>>(sql)).rows;
  } finally {
    await client.end();
  }
}

/**
 * A throwaway schema on the PostgreSQL server `url` names, for one benchmark network (one coordinator, or
 * the instances of one cluster run): it starts on empty tables like the SQLite runs do, and nothing is left
 * behind once `drop` ran.
 */
export async function benchSchema(url: string): Promise<BenchSchema> {
  if (new URL(url).searchParams.has('options'))
    throw new Error('the database URL must not set options: the benchmark sets the search_path');
  const schema = `bench_${randomBytes(6).toString('hex')}`;
  await query(url, `CREATE SCHEMA ${schema}`);
  return {
    url: `${url}${url.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${schema}`)}`,
    drop: async () => {
      await query(url, `DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    },
    taskCounts: async () => {
      const rows = await query(url, `SELECT status, count(*)::int AS n FROM ${schema}.tasks GROUP BY status`);
      return Object.fromEntries(rows.map((row) => [String(row.status), Number(row.n)]));
    },
  };
}

/** The server's address for the report, without credentials, and whether it writes to disk durably; throws when it does not answer. */
export async function describeDatabase(url: string): Promise<string> {
  const parsed = new URL(url);
  const where = `PostgreSQL at ${parsed.hostname}:${parsed.port || '5432'}${parsed.pathname}`;
  try {
    const [row] = await query(
      url,
      `SELECT split_part(current_setting('server_version'), ' ', 1) AS version, current_setting('fsync') AS fsync`,
    );
    // fsync=off (a throwaway test server) takes the disk out of every commit: say so next to the figures.
    return `${where} (version ${String(row?.version)}, fsync ${String(row?.fsync)})`;
  } catch (error) {
    throw new Error(`${where} (--database-url) did not answer: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    });
  }
}
