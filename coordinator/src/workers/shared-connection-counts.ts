import { z } from 'zod';
import type { SqlDatabase } from '../db/sql-database.ts';
import type { ClientAddress } from './admission-address.ts';
import type { ConnectedTabs, ConnectionCounts, HoldDecision } from './connection-counts.ts';

/**
 * The first half of admission's two-integer advisory lock keys; the second is the prefix's hash. Two-key
 * locks never meet the one-key leader lock (PostgreSQL keeps the two key spaces apart).
 */
const LOCK_CLASS = 0x7e55_ad01;
// The schema is part of the key: two networks in one database do not wait on each other's hellos.
const LOCK = `SELECT 1 AS locked FROM pg_advisory_xact_lock(${LOCK_CLASS}, hashtext(current_schema() || ' ' || ?))`;
const LOCK_TIMEOUT = `SELECT set_config('lock_timeout', ?, true) AS lock_timeout`;
// An instance's own rows count even when its heartbeat is late: its tabs are connected, whatever others think.
const COUNT = `SELECT count(*) FILTER (WHERE address = ?) AS address, count(*) AS prefix
  FROM admitted_connections
  WHERE prefix = ? AND (instance_id = ? OR instance_id IN (SELECT id FROM instances WHERE last_seen_at >= ?))`;
const HOLD = `INSERT INTO admitted_connections (instance_id, connection_id, address, prefix, admitted_at) VALUES (?, ?, ?, ?, ?)`;
const RELEASE = `DELETE FROM admitted_connections WHERE instance_id = ? AND connection_id = ?`;
// The rows of instances the leader has forgotten (silent past the dead-after window) or that stopped.
const SWEEP = `DELETE FROM admitted_connections WHERE instance_id <> ? AND instance_id NOT IN (SELECT id FROM instances)`;

const countsSchema = z.object({ address: z.coerce.number(), prefix: z.coerce.number() });

export interface SharedConnectionCountsOptions {
  db: SqlDatabase;
  /** This instance (`cluster.instanceId`): its rows, and the id its heartbeats are written under. */
  instanceId: string;
  /** An instance whose heartbeat is older than this is dead, and its connections hold no places. */
  liveWithinMs: number;
  /** How long a hello waits for another one from its prefix, on any instance, before it is turned away. */
  lockTimeoutMs?: number;
  /** How often, at most, the rows of dead instances are deleted. */
  sweepEveryMs?: number;
  now?: () => number;
}

/** A hello that waited longer than `lockTimeoutMs` for another one from its prefix. */
export class AdmissionBusyError extends Error {}

/**
 * Several instances of one network count tabs in the shared PostgreSQL: each admitted connection is a row
 * (`admitted_connections`), written in the transaction that counted, and deleted on release. Hellos from one
 * prefix are serialised by a transaction advisory lock on the prefix: an address has exactly one prefix, so
 * that one lock covers both counts (and the new-identity budgets, read in the same transaction); unlike a
 * `FOR UPDATE` on a counter row it needs no row to exist first and no counter to repair after a crash.
 *
 * A dead instance's rows stop counting on their own: only rows of instances whose heartbeat
 * (`instances.last_seen_at`, written by `ScaleOut`) is within `liveWithinMs` are counted, so nothing has to
 * run for places to come back. They are deleted later, once the leader forgot the instance, by whichever
 * instance admits next (at most once per `sweepEveryMs`).
 */
export class SharedConnectionCounts implements ConnectionCounts {
  readonly #options: SharedConnectionCountsOptions;
  readonly #now: () => number;
  /** This instance's connections that hold a place: release deletes only those. */
  readonly #held = new Set<string>();
  /** Released while the database was away: deleted at the next hello. */
  readonly #unreleased = new Set<string>();
  #sweptAt = Number.NEGATIVE_INFINITY;

  constructor(options: SharedConnectionCountsOptions) {
    if (options.db.dialect !== 'postgres') throw new Error('admission counts are shared through PostgreSQL only');
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  connected(client: ClientAddress): ConnectedTabs {
    const { db, instanceId, liveWithinMs } = this.#options;
    const since = this.#now() - liveWithinMs;
    return countsSchema.parse(db.get(COUNT, [client.address, client.prefix, instanceId, since]));
  }

  holds(connectionId: string): boolean {
    return this.#held.has(connectionId);
  }

  admit<T>(connectionId: string, client: ClientAddress, decide: (connected: ConnectedTabs) => HoldDecision<T>): T {
    const { db, instanceId } = this.#options;
    this.#sweep();
    const { outcome, held } = db.transaction(() => {
      db.get(LOCK_TIMEOUT, [`${this.#options.lockTimeoutMs ?? 2000}ms`]);
      try {
        db.get(LOCK, [client.prefix]);
      } catch (error) {
        // Another instance froze mid-hello, or the database is very slow: turned away rather than waited on.
        if (error instanceof Error && error.message.includes('lock timeout'))
          throw new AdmissionBusyError(`No admission lock for ${client.prefix}`, { cause: error });
        throw error;
      }
      const decision = decide(this.connected(client));
      if (decision.hold) db.run(HOLD, [instanceId, connectionId, client.address, client.prefix, this.#now()]);
      return { outcome: decision.outcome, held: decision.hold };
    });
    // After the commit: a place whose row was rolled back is not held.
    if (held) this.#held.add(connectionId);
    return outcome;
  }

  release(connectionId: string): void {
    if (!this.#held.delete(connectionId)) return;
    try {
      this.#options.db.run(RELEASE, [this.#options.instanceId, connectionId]);
    } catch {
      // The database is away (a tab leaving must not throw in socket.io's disconnect handler): the row is
      // deleted before the next hello is counted, and until then holds the place the tab held.
      this.#unreleased.add(connectionId);
    }
  }

  #sweep(): void {
    for (const connectionId of this.#unreleased) {
      this.#options.db.run(RELEASE, [this.#options.instanceId, connectionId]);
      this.#unreleased.delete(connectionId);
    }
    const now = this.#now();
    if (now - this.#sweptAt < (this.#options.sweepEveryMs ?? 60_000)) return;
    this.#sweptAt = now;
    this.#options.db.run(SWEEP, [this.#options.instanceId]);
  }
}
