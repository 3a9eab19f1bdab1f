import { randomBytes } from 'node:crypto';
import pg from 'pg';

/**
 * A throwaway schema on the PostgreSQL server `url` names, for one benchmark coordinator: it starts on
 * empty tables like the SQLite runs do, and nothing is left behind. Returns the URL with the schema on the
 * search path, and how to drop it.
 */
export async function benchSchema(url: string): Promise<{ url: string; drop: () => Promise<void> }> {
  if (new URL(url).searchParams.has('options'))
    throw new Error('the database URL must not set options: the benchmark sets the search_path');
  const schema = `bench_${randomBytes(6).toString('hex')}`;
  const admin = async (sql: string): Promise<void> => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  await admin(`CREATE SCHEMA ${schema}`);
  return {
    url: `${url}${url.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${schema}`)}`,
    drop: () => admin(`DROP SCHEMA IF EXISTS ${schema} CASCADE`),
  };
}

/** The server's address for the report, without credentials. */
export function describeDatabase(url: string): string {
  const parsed = new URL(url);
  return `PostgreSQL at ${parsed.hostname}:${parsed.port || '5432'}${parsed.pathname}`;
}
