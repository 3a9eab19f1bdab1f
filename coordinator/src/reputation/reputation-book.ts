import { emptyReputation, tierOf } from '@tessera/shared';
import type { ReputationStats, Tier } from '@tessera/shared';
import { z } from 'zod';
import type { SqlDatabase } from '../db/sql-database.ts';

const UPSERT = `INSERT INTO identities (public_key, stats, first_seen_at, last_seen_at) VALUES (?, ?, ?, ?)
  ON CONFLICT (public_key) DO UPDATE SET stats = excluded.stats, last_seen_at = excluded.last_seen_at`;

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
 * Reputation per tab identity (its public key), kept in the database so a tab cannot shed a bad record by
 * reconnecting, and a restart forgets nothing. Reads are served from memory. Anyone may read; only the
 * `ReputationKeeper` writes.
 */
export class ReputationBook {
  readonly #cache = new Map<string, ReputationStats>();

  constructor(
    private readonly db: SqlDatabase,
    private readonly now: () => number = Date.now,
  ) {}

  get(publicKey: string): ReputationStats {
    const cached = this.#cache.get(publicKey);
    if (cached !== undefined) return cached;
    const row = this.db.get('SELECT stats FROM identities WHERE public_key = ?', [publicKey]);
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
    const now = this.now();
    this.db.run(UPSERT, [publicKey, JSON.stringify(next), now, now]);
    return next;
  }
}

/** Exponential moving average, seeded by the first sample. */
export function movingAverage(previous: number | null, sample: number, weight = 0.2): number {
  return previous === null ? sample : previous * (1 - weight) + sample * weight;
}
