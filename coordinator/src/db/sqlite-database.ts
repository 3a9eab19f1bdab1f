import Database, { type Statement } from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { RunResult, SqlDatabase, SqlValue } from './sql-database.ts';
import { SQLITE_MIGRATIONS } from './sqlite-migrations.ts';

/** `SqlDatabase` on one SQLite file (better-sqlite3): the embedded default, no server to run. */
export class SqliteDatabase implements SqlDatabase {
  readonly dialect = 'sqlite';
  /** The better-sqlite3 handle, for what only SQLite has (pragmas, in tests about SQLite itself). */
  readonly handle: Database.Database;
  /** Each statement is prepared once: preparing costs more than running the coordinator's small queries. */
  readonly #statements = new Map<string, Statement<SqlValue[]>>();

  constructor(handle: Database.Database) {
    this.handle = handle;
  }

  run(sql: string, params: readonly SqlValue[] = []): RunResult {
    return { changes: this.#statement(sql).run(...params).changes };
  }

  get(sql: string, params: readonly SqlValue[] = []): unknown {
    return this.#statement(sql).get(...params);
  }

  all(sql: string, params: readonly SqlValue[] = []): unknown[] {
    return this.#statement(sql).all(...params);
  }

  exec(sql: string): void {
    this.handle.exec(sql);
  }

  transaction<T>(work: () => T): T {
    // better-sqlite3 nests with savepoints and refuses a function that returns a promise.
    return this.handle.transaction(work)();
  }

  close(): void {
    this.#statements.clear();
    this.handle.close();
  }

  #statement(sql: string): Statement<SqlValue[]> {
    let statement = this.#statements.get(sql);
    if (statement === undefined) {
      statement = this.handle.prepare<SqlValue[]>(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }
}

/**
 * Opens (creating if needed) the coordinator's SQLite file in WAL mode and applies pending migrations
 * (`sqlite-migrations.ts`; the version is SQLite's `user_version`). `synchronous = NORMAL` in WAL keeps
 * every commit durable across a process crash (not a power cut), which is the guarantee the queue needs at
 * a fraction of FULL's fsync cost. `:memory:` for throwaway databases.
 */
export function openSqliteDatabase(file: string): SqliteDatabase {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  const handle = new Database(file);
  handle.pragma('journal_mode = WAL');
  handle.pragma('synchronous = NORMAL');
  handle.pragma('foreign_keys = ON');
  handle.pragma('busy_timeout = 5000');
  const version = Number(handle.pragma('user_version', { simple: true }));
  const pending = SQLITE_MIGRATIONS.slice(version);
  if (pending.length > 0) {
    handle.transaction(() => {
      for (const statement of pending) handle.exec(statement);
      handle.pragma(`user_version = ${SQLITE_MIGRATIONS.length}`);
    })();
  }
  return new SqliteDatabase(handle);
}
