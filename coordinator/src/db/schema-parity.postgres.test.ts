import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { openTestDatabase } from '../../test/support/test-database.ts';
import type { SqlDatabase } from './sql-database.ts';
import { openSqliteDatabase, type SqliteDatabase } from './sqlite-database.ts';

// The two schemas are kept by hand (SQLite's list of steps, PostgreSQL's migration files): this keeps them
// the same, table for table and column for column. Runs in the coordinator-postgres project only.
interface Column {
  type: string;
  nullable: boolean;
  primaryKey: boolean;
}
type Schema = Record<string, Record<string, Column>>;

const SQLITE_TYPES: Record<string, string> = { INTEGER: 'bigint', TEXT: 'text', BLOB: 'bytea' };

function sqliteSchema(db: SqliteDatabase): { tables: Schema; indexes: string[] } {
  const tables: Schema = {};
  const names = z.array(z.object({ name: z.string() })).parse(db.all(`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`));
  for (const { name } of names) {
    const columns = z
      .array(z.object({ name: z.string(), type: z.string(), notnull: z.number(), pk: z.number() }))
      .parse(db.handle.pragma(`table_info(${name})`));
    tables[name] = Object.fromEntries(
      columns.map((column) => [
        column.name,
        { type: SQLITE_TYPES[column.type] ?? column.type, nullable: column.notnull === 0 && column.pk === 0, primaryKey: column.pk > 0 },
      ]),
    );
  }
  const indexes = z
    .array(z.object({ name: z.string() }))
    .parse(db.all(`SELECT name FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_autoindex_%'`))
    .map((row) => row.name);
  return { tables, indexes: indexes.sort() };
}

function postgresSchema(db: SqlDatabase): { tables: Schema; indexes: string[] } {
  const tables: Schema = {};
  const keys = new Set(
    z
      .array(z.object({ table_name: z.string(), column_name: z.string() }))
      .parse(
        db.all(
          `SELECT k.table_name, k.column_name FROM information_schema.table_constraints c
           JOIN information_schema.key_column_usage k USING (constraint_schema, constraint_name)
           WHERE c.constraint_type = 'PRIMARY KEY' AND c.table_schema = current_schema()`,
        ),
      )
      .map((key) => `${key.table_name}.${key.column_name}`),
  );
  const columns = z
    .array(z.object({ table_name: z.string(), column_name: z.string(), data_type: z.string(), is_nullable: z.enum(['YES', 'NO']) }))
    .parse(
      db.all(
        `SELECT table_name, column_name, data_type, is_nullable FROM information_schema.columns
         WHERE table_schema = current_schema() AND table_name != 'pgmigrations' ORDER BY table_name, ordinal_position`,
      ),
    );
  for (const column of columns) {
    const primaryKey = keys.has(`${column.table_name}.${column.column_name}`);
    (tables[column.table_name] ??= {})[column.column_name] = {
      type: column.data_type,
      nullable: column.is_nullable === 'YES' && !primaryKey,
      primaryKey,
    };
  }
  const indexes = z
    .array(z.object({ indexname: z.string() }))
    .parse(db.all(`SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() AND indexname NOT LIKE '%_pkey'`))
    .map((row) => row.indexname);
  return { tables, indexes: indexes.sort() };
}

describe('the PostgreSQL schema mirrors the SQLite one', () => {
  let sqlite: SqliteDatabase;
  let postgres: SqlDatabase;
  beforeAll(async () => {
    sqlite = openSqliteDatabase(':memory:');
    postgres = await openTestDatabase();
  });
  afterAll(() => {
    sqlite.close();
    postgres.close();
  });

  it('has the same tables, columns, types, NOT NULLs, primary keys and indexes', () => {
    expect(postgres.dialect).toBe('postgres');
    const expected = sqliteSchema(sqlite);
    const actual = postgresSchema(postgres);
    expect(Object.keys(actual.tables).sort()).toEqual(Object.keys(expected.tables).sort());
    for (const [table, columns] of Object.entries(expected.tables))
      expect({ table, columns: actual.tables[table] }).toEqual({ table, columns });
    expect(actual.indexes).toEqual(expected.indexes);
  });
});
