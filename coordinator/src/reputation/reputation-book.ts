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
 *
 * `shared`: several instances write the same database (scale-out), and one key's tabs may be connected to
 * different instances. Then a cached record is read again after `SHARED_READ_MS`, and a change is made to
 * the stored record under a row lock, never to a copy another instance may have moved on from.
 */
export class ReputationBook {
  readonly #cache = new Map<string, { stats: ReputationStats; readAt: number }>();

  constructor(
    private readonly db: SqlDatabase,
    private readonly now: () => number = Date.now,
    private readonly shared = false,
  ) {}

  get(publicKey: string): ReputationStats {
    const cached = this.#cache.get(publicKey);
    if (cached !== undefined && (!this.shared || this.now() - cached.readAt < SHARED_READ_MS)) return cached.stats;
    return this.#read(publicKey, '');
  }

  tier(publicKey: string): Tier {
    return tierOf(this.get(publicKey));
  }

  update(publicKey: string, change: (stats: ReputationStats) => ReputationStats): ReputationStats {
    const write = (): ReputationStats => {
      const current = this.shared ? this.#read(publicKey, this.db.dialect === 'postgres' ? ' FOR UPDATE' : '') : this.get(publicKey);
      const next = change(current);
      const now = this.now();
      this.#cache.set(publicKey, { stats: next, readAt: now });
      this.db.run(UPSERT, [publicKey, JSON.stringify(next), now, now]);
      return next;
    };
    return this.shared ? this.db.transaction(write) : write();
  }

  #read(publicKey: string, lock: string): ReputationStats {
    const row = this.db.get(`SELECT stats FROM identities WHERE public_key = ?${lock}`, [publicKey]);
    const stats = row === undefined ? emptyReputation() : statsSchema.parse(JSON.parse(z.object({ stats: z.string() }).parse(row).stats));
    this.#cache.set(publicKey, { stats, readAt: this.now() });
    return stats;
  }
}

/** How long a shared record read from the database is used before it is read again. */
const SHARED_READ_MS = 1000;

/** Exponential moving average, seeded by the first sample. */
export function movingAverage(previous: number | null, sample: number, weight = 0.2): number {
  return previous === null ? sample : previous * (1 - weight) + sample * weight;
}
