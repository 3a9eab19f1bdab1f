import { z } from 'zod';
import type { SqlDatabase } from '../db/sql-database.ts';

/** One webhook to deliver: the task it reports, the key whose secret signs it, where it goes, how far it got. */
export interface WebhookDelivery {
  taskId: string;
  keyId: string;
  url: string;
  attempts: number;
}

const rowSchema = z.object({ task_id: z.string(), key_id: z.string(), url: z.string(), attempts: z.coerce.number() });
const ENDED = `('succeeded', 'failed', 'cancelled')`;

/**
 * `webhook_deliveries`: one row per task submitted with `webhook_url`, written at submit and kept until it is
 * delivered or given up, so retries survive a restart. Any instance sharing the database may deliver a due
 * row, but only after claiming it with a conditional write (`claim`), which exactly one of them wins; a
 * claim lapses at `claimed_until`, so the row of an instance that died mid-attempt is taken up again.
 */
export class WebhookDeliveries {
  readonly #db: SqlDatabase;

  constructor(db: SqlDatabase) {
    this.#db = db;
  }

  add(delivery: { taskId: string; keyId: string; url: string }, now: number): void {
    this.#db.run(
      `INSERT INTO webhook_deliveries (task_id, key_id, url, status, attempts, next_attempt_at, claimed_by, claimed_until, last_error, created_at, finished_at)
       VALUES (?, ?, ?, 'pending', 0, ?, NULL, NULL, NULL, ?, NULL) ON CONFLICT (task_id) DO NOTHING`,
      [delivery.taskId, delivery.keyId, delivery.url, now, now],
    );
  }

  /** Pending deliveries whose task has ended and whose next attempt is due, unclaimed; oldest due first. */
  due(now: number, limit: number): WebhookDelivery[] {
    return this.#db
      .all(
        `SELECT d.task_id, d.key_id, d.url, d.attempts FROM webhook_deliveries d JOIN tasks t ON t.id = d.task_id
         WHERE d.status = 'pending' AND d.next_attempt_at <= ? AND (d.claimed_until IS NULL OR d.claimed_until <= ?) AND t.status IN ${ENDED}
         ORDER BY d.next_attempt_at LIMIT ?`,
        [now, now, limit],
      )
      .map((row) => {
        const parsed = rowSchema.parse(row);
        return { taskId: parsed.task_id, keyId: parsed.key_id, url: parsed.url, attempts: parsed.attempts };
      });
  }

  /** Takes a due delivery for one attempt until `until`; false when another instance took it first. */
  claim(taskId: string, claimant: string, now: number, until: number): boolean {
    return (
      this.#db.run(
        `UPDATE webhook_deliveries SET claimed_by = ?, claimed_until = ?
         WHERE task_id = ? AND status = 'pending' AND next_attempt_at <= ? AND (claimed_until IS NULL OR claimed_until <= ?)`,
        [claimant, until, taskId, now, now],
      ).changes === 1
    );
  }

  /** The receiver answered 2xx. Applies only while the claim is still `claimant`'s. */
  delivered(taskId: string, claimant: string, attempts: number, now: number): void {
    this.#db.run(
      `UPDATE webhook_deliveries SET status = 'delivered', attempts = ?, finished_at = ?, claimed_by = NULL, claimed_until = NULL, last_error = NULL
       WHERE task_id = ? AND claimed_by = ? AND status = 'pending'`,
      [attempts, now, taskId, claimant],
    );
  }

  /** An attempt failed: tried again at `nextAttemptAt`, or given up (`failed`) when that is null. */
  attemptFailed(taskId: string, claimant: string, attempts: number, error: string, nextAttemptAt: number | null, now: number): void {
    this.#db.run(
      `UPDATE webhook_deliveries SET status = ?, attempts = ?, next_attempt_at = COALESCE(?, next_attempt_at), finished_at = ?,
         claimed_by = NULL, claimed_until = NULL, last_error = ?
       WHERE task_id = ? AND claimed_by = ? AND status = 'pending'`,
      [
        nextAttemptAt === null ? 'failed' : 'pending',
        attempts,
        nextAttemptAt,
        nextAttemptAt === null ? now : null,
        error.slice(0, 500),
        taskId,
        claimant,
      ],
    );
  }

  /** Gives a claim back without counting an attempt (the process is stopping). */
  release(taskId: string, claimant: string): void {
    this.#db.run(
      `UPDATE webhook_deliveries SET claimed_by = NULL, claimed_until = NULL WHERE task_id = ? AND claimed_by = ? AND status = 'pending'`,
      [taskId, claimant],
    );
  }

  /** Where a delivery stands, for tests and operators. */
  state(taskId: string): { status: string; attempts: number; lastError: string | null } | undefined {
    const row = this.#db.get(`SELECT status, attempts, last_error FROM webhook_deliveries WHERE task_id = ?`, [taskId]);
    if (row === undefined) return undefined;
    const parsed = z.object({ status: z.string(), attempts: z.coerce.number(), last_error: z.string().nullable() }).parse(row);
    return { status: parsed.status, attempts: parsed.attempts, lastError: parsed.last_error };
  }

  /** Forgets deliveries that finished before `before`. */
  prune(before: number): void {
    this.#db.run(`DELETE FROM webhook_deliveries WHERE status <> 'pending' AND finished_at < ?`, [before]);
  }
}
