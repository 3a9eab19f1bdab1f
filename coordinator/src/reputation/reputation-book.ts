import { emptyReputation, tierOf } from '@tessera/shared';
import type { ReputationStats, Tier } from '@tessera/shared';
import { z } from 'zod';
import type { SqliteDatabase } from '../db/open-database.ts';

const statsSchema = z.object({
  validChecks: z.number().int(),
  invalidChecks: z.number().int(),
  consecutiveValid: z.number().int(),
  tasksCompleted: z.number().int(),
  tasksFailed: z.number().int(),
  uptimeSeconds: z.number(),
  latencyMs: z.number().nullable(),
  tokensPerSecond: z.number().nullable(),
});

/**
 * Reputation per tab identity (its public key), kept in SQLite so a tab cannot shed a bad record by
 * reconnecting, and a restart forgets nothing. Reads are served from memory. Anyone may read; only the
 * `ReputationKeeper` writes.
 */
export class ReputationBook {
  readonly #cache = new Map<string, ReputationStats>();
  readonly #get;
  readonly #upsert;

  constructor(
    db: SqliteDatabase,
    private readonly now: () => number = Date.now,
  ) {
    this.#get = db.prepare(`SELECT stats FROM identities WHERE public_key = ?`);
    this.#upsert = db.prepare(
      `INSERT INTO identities (public_key, stats, first_seen_at, last_seen_at) VALUES (@key, @stats, @now, @now)
       ON CONFLICT (public_key) DO UPDATE SET stats = @stats, last_seen_at = @now`,
    );
  }

  get(publicKey: string): ReputationStats {
    const cached = this.#cache.get(publicKey);
    if (cached !== undefined) return cached;
    const row: unknown = this.#get.get(publicKey);
    const stats = row === undefined ? emptyReputation() : statsSchema.parse(JSON.parse(z.object({ stats: z.string() }).parse(row).stats));
    this.#cache.set(publicKey, stats);
    return stats;
  }

  tier(publicKey: string): Tier {
    return tierOf(this.get(publicKey));
  }

  update(publicKey: string, change: (stats: ReputationStats) => ReputationStats): ReputationStats {
    const next = change(this.get(publicKey));
    this.#cache.set(publicKey, next);
    this.#upsert.run({ key: publicKey, stats: JSON.stringify(next), now: this.now() });
    return next;
  }
}

/** Exponential moving average, seeded by the first sample. */
export function movingAverage(previous: number | null, sample: number, weight = 0.2): number {
  return previous === null ? sample : previous * (1 - weight) + sample * weight;
}
