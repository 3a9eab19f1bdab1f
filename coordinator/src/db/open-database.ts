import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { SQLITE_MIGRATIONS } from './sqlite-migrations.ts';

export type SqliteDatabase = Database.Database;

/**
 * Opens (creating if needed) the coordinator's SQLite file in WAL mode and applies pending migrations.
 * `synchronous = NORMAL` in WAL keeps every commit durable across a process crash (not a power cut),
 * which is the guarantee the queue needs at a fraction of FULL's fsync cost.
 */
export function openDatabase(file: string): SqliteDatabase {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  const version = Number(db.pragma('user_version', { simple: true }));
  const pending = SQLITE_MIGRATIONS.slice(version);
  if (pending.length > 0) {
    db.transaction(() => {
      for (const statement of pending) db.exec(statement);
      db.pragma(`user_version = ${SQLITE_MIGRATIONS.length}`);
    })();
  }
  return db;
}
