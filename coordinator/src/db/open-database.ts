import type { SqlDatabase } from './sql-database.ts';
import { openSqliteDatabase } from './sqlite-database.ts';

export interface OpenDatabaseOptions {
  /** `postgres://…` (TESSERA_DATABASE_URL): PostgreSQL; empty: the SQLite file. */
  databaseUrl: string;
  /** The SQLite file (`<dataDir>/tessera.db`), or `:memory:`. */
  file: string;
  /** Migration progress on PostgreSQL. */
  log?: (message: string) => void;
}

/**
 * The coordinator's store: PostgreSQL when a URL is given (several coordinators can share it), else the
 * embedded SQLite file. Asynchronous only because PostgreSQL's migrations are; every store call after this
 * is synchronous on both.
 */
export async function openDatabase(options: OpenDatabaseOptions): Promise<SqlDatabase> {
  if (options.databaseUrl === '') return openSqliteDatabase(options.file);
  if (!/^postgres(ql)?:\/\//.test(options.databaseUrl)) throw new Error('TESSERA_DATABASE_URL must be a postgres:// or postgresql:// URL');
  // Loaded only here: a coordinator on SQLite never loads pg, node-pg-migrate or the native addon.
  const { openPostgresDatabase } = await import('./postgres-database.ts');
  return openPostgresDatabase(options.databaseUrl, { log: options.log });
}
