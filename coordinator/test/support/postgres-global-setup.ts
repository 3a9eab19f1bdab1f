// Global setup of the coordinator-postgres vitest project (vitest.config.ts): the server must answer before
// any file runs, and in CI the project must never be quietly left out.
import pg from 'pg';

export default async function checkPostgres(): Promise<void> {
  const url = process.env.TESSERA_TEST_DATABASE_URL ?? '';
  if (url === '')
    throw new Error(
      'TESSERA_TEST_DATABASE_URL is not set, and CI must run the coordinator suite on PostgreSQL: .ci/run starts a server and sets it.',
    );
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
  } catch (error) {
    throw new Error(`TESSERA_TEST_DATABASE_URL does not answer: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    });
  } finally {
    await client.end().catch(() => undefined);
  }
}
