import pg from 'pg';
import { numberedPlaceholders } from './numbered-placeholders.ts';
import { loadPgNative, type NativeClient, type TypeParsers } from './pg-native-client.ts';
import { migratePostgres } from './postgres-migrations.ts';
import type { RunResult, SqlDatabase, SqlValue } from './sql-database.ts';

const INT8_OID = 20;

/**
 * BIGINT columns hold epoch milliseconds and counters: they come back as numbers, as SQLite's INTEGER
 * does, and never silently rounded (money is TEXT, turned into bigint by the ledger).
 */
function parseInt8(text: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value)) throw new RangeError(`BIGINT ${text} is beyond JavaScript's safe integers`);
  return value;
}

/** pg's own text parsers (bytea as Buffer, int4 as number, …) except BIGINT's; nothing global is changed. */
const TYPE_PARSERS: TypeParsers = {
  getTypeParser: (oid) => (oid === INT8_OID ? parseInt8 : pg.types.getTypeParser(oid, 'text')),
};

/** Parameters travel as text (libpq's text format): bytes as bytea's hex form. */
function toText(value: SqlValue): string | null {
  if (value === null) return null;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  return `\\x${Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('hex')}`;
}

/** libpq's PQTRANS_UNKNOWN: the connection is gone. */
const CONNECTION_BAD = 4;

/**
 * `SqlDatabase` on PostgreSQL through libpq's synchronous API (pg-native): one connection, each statement
 * prepared once by its text and executed with `executeSync`. The event loop waits for every round trip
 * (about 0.1 ms on loopback), which is what keeps the coordinator's write-before-tell design and its
 * synchronous transactions unchanged; keep the database close to the coordinator.
 *
 * A connection that breaks (the server restarted) fails the statement in flight; the next statement
 * outside a transaction opens a new one. Nothing is retried blindly: a write whose answer was lost may have
 * been committed.
 */
export class PostgresDatabase implements SqlDatabase {
  readonly dialect = 'postgres';
  readonly #connect: () => NativeClient;
  #client: NativeClient;
  #broken = false;
  /** Statement name per SQL text, on the current connection. */
  readonly #prepared = new Map<string, string>();
  #depth = 0;

  constructor(connect: () => NativeClient) {
    this.#connect = connect;
    this.#client = connect();
  }

  run(sql: string, params: readonly SqlValue[] = []): RunResult {
    this.#execute(sql, params);
    const count = this.#client.pq.cmdTuples();
    return { changes: count === '' ? 0 : Number(count) };
  }

  get(sql: string, params: readonly SqlValue[] = []): unknown {
    return this.#execute(sql, params)[0];
  }

  all(sql: string, params: readonly SqlValue[] = []): unknown[] {
    return this.#execute(sql, params);
  }

  exec(sql: string): void {
    this.#guard(() => this.#client.querySync(sql));
  }

  transaction<T>(work: () => T): T {
    const depth = this.#depth;
    const savepoint = `tessera_${depth}`;
    this.exec(depth === 0 ? 'BEGIN' : `SAVEPOINT ${savepoint}`);
    this.#depth++;
    let result: T;
    try {
      result = work();
      if (isThenable(result)) throw new TypeError('Transaction function cannot return a promise');
    } catch (error) {
      this.#depth--;
      this.#rollback(depth === 0 ? 'ROLLBACK' : `ROLLBACK TO SAVEPOINT ${savepoint}; RELEASE SAVEPOINT ${savepoint}`);
      throw error;
    }
    this.#depth--;
    try {
      this.exec(depth === 0 ? 'COMMIT' : `RELEASE SAVEPOINT ${savepoint}`);
    } catch (error) {
      if (depth === 0) this.#rollback('ROLLBACK');
      throw error;
    }
    return result;
  }

  close(): void {
    this.#prepared.clear();
    this.#client.end();
  }

  #execute(sql: string, params: readonly SqlValue[]): unknown[] {
    return this.#guard(() => {
      let name = this.#prepared.get(sql);
      if (name === undefined) {
        const numbered = numberedPlaceholders(sql);
        name = `s${this.#prepared.size + 1}`;
        this.#client.prepareSync(name, numbered.sql, numbered.params);
        this.#prepared.set(sql, name);
      }
      return this.#client.executeSync(name, params.map(toText));
    });
  }

  /** Runs a call on the connection, opening a new one first if the last broke (never inside a transaction). */
  #guard<T>(call: () => T): T {
    if (this.#broken && this.#depth === 0) {
      this.#prepared.clear();
      this.#client.end();
      // Throws while the server is still away; the next call tries again.
      this.#client = this.#connect();
      this.#broken = false;
    }
    try {
      return call();
    } catch (error) {
      if (this.#client.pq.transactionStatus() === CONNECTION_BAD) this.#broken = true;
      throw error;
    }
  }

  /** Undoes a failed transaction; the error that caused it is what the caller sees. */
  #rollback(sql: string): void {
    try {
      this.exec(sql);
    } catch {
      // The connection broke: the server rolled back the transaction itself.
    }
  }
}

function isThenable(value: unknown): boolean {
  return typeof value === 'object' && value !== null && 'then' in value && typeof value.then === 'function';
}

/**
 * Opens the coordinator's PostgreSQL database: applies pending migrations (node-pg-migrate, asynchronous,
 * over `pg`), then connects the synchronous client the stores use. The schema is the first one of the
 * connection's search_path (`public` unless the URL says otherwise, e.g.
 * `?options=-c%20search_path%3Dtessera`).
 */
export async function openPostgresDatabase(url: string, options: { log?: (message: string) => void } = {}): Promise<PostgresDatabase> {
  const Client = loadPgNative();
  await migratePostgres(url, options.log);
  return new PostgresDatabase(() => {
    const client = new Client({ types: TYPE_PARSERS });
    client.connectSync(url);
    return client;
  });
}
