import { z } from 'zod';
import type { SqlDatabase } from '../db/sql-database.ts';

/**
 * The coordinator instances of one network, in the shared database: each writes its heartbeat every
 * second, and one silent for longer than the timeout is dead (killed, frozen, cut off). Nothing else is
 * kept: an instance's id is new at every start, so a restarted process is a new instance and the old id's
 * tasks are taken over like any dead instance's.
 */
export class InstanceDirectory {
  readonly #db: SqlDatabase;

  constructor(db: SqlDatabase) {
    this.#db = db;
  }

  beat(id: string, now: number): void {
    this.#db.run(
      `INSERT INTO instances (id, started_at, last_seen_at) VALUES (?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET last_seen_at = excluded.last_seen_at`,
      [id, now, now],
    );
  }

  /** Instances not heard from since `before`. */
  silentSince(before: number): string[] {
    const rows = this.#db.all(`SELECT id FROM instances WHERE last_seen_at < ?`, [before]);
    return rows.map((row) => z.object({ id: z.string() }).parse(row).id);
  }

  /** Owners of open tasks that are not live instances: a process that died before its first heartbeat, or long ago. */
  unknownOwners(): string[] {
    const rows = this.#db.all(
      `SELECT DISTINCT owner FROM tasks
        WHERE status IN ('queued', 'assigned') AND owner IS NOT NULL AND owner NOT IN (SELECT id FROM instances)`,
    );
    return rows.map((row) => z.object({ owner: z.string() }).parse(row).owner);
  }

  live(since: number): number {
    const row = this.#db.get(`SELECT count(*) AS live FROM instances WHERE last_seen_at >= ?`, [since]);
    return z.object({ live: z.coerce.number() }).parse(row).live;
  }

  forget(id: string): void {
    this.#db.run(`DELETE FROM instances WHERE id = ?`, [id]);
  }
}
