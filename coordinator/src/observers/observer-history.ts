import { observerSampleSchema, type ObserverSample } from '@tessera/shared';
import { z } from 'zod';
import type { SqlDatabase } from '../db/sql-database.ts';

const rowSchema = z.object({ sample: z.string() });

/**
 * The dashboard's history: one row per sample in `observer_samples`, the sample as JSON (it is only ever
 * read whole, by the dashboard), pruned past `keepMs`. The same SQL on SQLite and PostgreSQL.
 */
export class ObserverHistoryStore {
  readonly #db: SqlDatabase;
  readonly #keepMs: number;

  constructor(db: SqlDatabase, keepMs: number) {
    this.#db = db;
    this.#keepMs = keepMs;
  }

  /** Stores a sample and drops those older than the window; a second sample at the same instant is ignored. */
  add(sample: ObserverSample): void {
    this.#db.transaction(() => {
      this.#db.run('INSERT INTO observer_samples (at, sample) VALUES (?, ?) ON CONFLICT (at) DO NOTHING', [
        sample.at,
        JSON.stringify(sample),
      ]);
      this.prune(sample.at);
    });
  }

  prune(now: number): number {
    return this.#db.run('DELETE FROM observer_samples WHERE at < ?', [now - this.#keepMs]).changes;
  }

  /** The samples within the window before `now`, oldest first; a row that no longer parses is skipped. */
  recent(now: number): ObserverSample[] {
    const rows = this.#db.all('SELECT sample FROM observer_samples WHERE at >= ? ORDER BY at', [now - this.#keepMs]);
    const samples: ObserverSample[] = [];
    for (const row of rows) {
      const parsed = observerSampleSchema.safeParse(JSON.parse(rowSchema.parse(row).sample));
      if (parsed.success) samples.push(parsed.data);
    }
    return samples;
  }
}
