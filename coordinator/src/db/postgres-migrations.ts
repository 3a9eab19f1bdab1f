import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { runner } from 'node-pg-migrate';
import pg from 'pg';
import { z } from 'zod';

/** The SQL migration files, applied in the order of their numeric prefixes. */
export const POSTGRES_MIGRATIONS_DIR = fileURLToPath(new URL('../../migrations/postgres', import.meta.url));

/**
 * Applies pending PostgreSQL migrations (node-pg-migrate, SQL files in `coordinator/migrations/postgres/`,
 * all pending ones in one transaction) to the first schema of the connection's search_path. Coordinators
 * starting together on one database take turns: each waits for an advisory lock of that schema's own, and
 * the later ones find nothing left to apply. Returns the names of the migrations applied.
 */
export async function migratePostgres(url: string, log: (message: string) => void = () => undefined): Promise<string[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query('SELECT current_schema() AS schema');
    const schema = z.object({ schema: z.string().nullable() }).parse(rows[0]).schema;
    if (schema === null) throw new Error('no schema of the database URL’s search_path exists: create it first (CREATE SCHEMA …)');
    const applied = await runner({
      dbClient: client,
      schema,
      dir: POSTGRES_MIGRATIONS_DIR,
      migrationsTable: 'pgmigrations',
      direction: 'up',
      checkOrder: true,
      advisoryLockMode: 'wait',
      lockValue: lockValueOf(schema),
      log,
    });
    return applied.map((migration) => migration.name);
  } finally {
    await client.end();
  }
}

/** node-pg-migrate's lock is one per database by default; one per schema lets several schemas migrate at once (tests). */
function lockValueOf(schema: string): number {
  return createHash('sha256').update(`tessera:migrate:${schema}`).digest().readUIntBE(0, 6);
}
