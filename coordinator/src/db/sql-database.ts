/** A value a statement can bind: what both SQLite and PostgreSQL take, and what they give back. */
export type SqlValue = string | number | bigint | Uint8Array | null;

export type SqlDialect = 'sqlite' | 'postgres';

export interface RunResult {
  /** Rows the statement inserted, updated or deleted. */
  changes: number;
}

/**
 * The coordinator's durable store, the same on SQLite and on PostgreSQL: synchronous, so a state change is
 * committed before anyone is told of it and a transaction is a plain function (a listener that throws inside
 * one rolls it back). SQL is written once, with `?` placeholders (PostgreSQL's are numbered for it) and the
 * syntax both dialects share (`ON CONFLICT … DO NOTHING / DO UPDATE`, `RETURNING`); where they truly
 * differ, a store keeps the two strings side by side and picks one by `dialect`. Each distinct statement
 * is prepared once per connection and reused.
 *
 * Rows come back as plain objects whose shape is not known here: callers parse them (zod), as they do any
 * data from outside the process. Integers (epoch milliseconds, counters) come back as numbers on both;
 * money is a decimal string, converted with `BigInt` by the ledger.
 *
 * @example
 * db.transaction(() => {
 *   if (db.run(`UPDATE tasks SET status = 'assigned' WHERE id = ? AND status = 'queued'`, [id]).changes === 0) return;
 *   db.run('INSERT INTO credits (task_id, amount) VALUES (?, ?)', [id, amount.toString()]);
 * });
 */
export interface SqlDatabase {
  readonly dialect: SqlDialect;
  /** Runs a statement that returns no rows. */
  run(sql: string, params?: readonly SqlValue[]): RunResult;
  /** The first row, or undefined when there is none. */
  get(sql: string, params?: readonly SqlValue[]): unknown;
  all(sql: string, params?: readonly SqlValue[]): unknown[];
  /** Runs one or more statements without parameters (schema changes, pragmas). */
  exec(sql: string): void;
  /**
   * Runs `work` atomically and returns what it returns; if it throws, everything it wrote is rolled back and
   * the error goes on. Nested calls are savepoints: an inner one that throws undoes only its own writes
   * when the outer one catches the error. `work` must be synchronous.
   */
  transaction<T>(work: () => T): T;
  close(): void;
}
