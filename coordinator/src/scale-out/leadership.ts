import { z } from 'zod';
import type { SqlDatabase } from '../db/sql-database.ts';

/** Whether this instance runs the once-per-network jobs now (epoch settlement, taking over dead instances' tasks). */
export interface Leadership {
  isLeader(): boolean;
}

/** One instance alone (SQLite): it is the leader. */
export const SOLE_LEADERSHIP: Leadership = { isLeader: () => true };

/**
 * The advisory-lock key of a network. Advisory locks are per database, so the key is made from the schema
 * the network's tables live in and its Redis prefix: two networks in one database never share a leader.
 */
export function leaderLockKey(db: SqlDatabase, prefix: string): number {
  const { schema } = z.object({ schema: z.string() }).parse(db.get(`SELECT current_schema() AS schema`));
  let hash = 0;
  for (const char of `tessera-leader:${schema}:${prefix}`) hash = (Math.imul(hash, 31) + char.charCodeAt(0)) | 0;
  return hash;
}

/**
 * Leadership by a PostgreSQL session advisory lock: whoever holds it leads. It is held by the instance's
 * database connection, so when the process dies (even by SIGKILL) the server drops the connection and the
 * lock with it, and the next instance to try takes over within one `tryLead` period. No clock, no lease
 * renewals, no home-made election.
 */
export class AdvisoryLockLeadership implements Leadership {
  readonly #db: SqlDatabase;
  readonly #key: number;
  #leader = false;

  constructor(db: SqlDatabase, key: number) {
    this.#db = db;
    this.#key = key;
  }

  isLeader(): boolean {
    return this.#leader;
  }

  /** Tries to take the lock if it is not ours; true when this instance leads. Cheap: one statement. */
  tryLead(): boolean {
    if (this.#leader) return true;
    const row = this.#db.get(`SELECT pg_try_advisory_lock(?) AS held`, [this.#key]);
    this.#leader = z.object({ held: z.boolean() }).parse(row).held;
    return this.#leader;
  }

  /** Lets another instance lead (on shutdown). */
  resign(): void {
    if (!this.#leader) return;
    this.#db.get(`SELECT pg_advisory_unlock(?) AS released`, [this.#key]);
    this.#leader = false;
  }
}
