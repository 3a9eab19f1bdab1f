import { nodeIdSchema, taskIdSchema, type NodeId, type TaskId } from '@tessera/shared';
import { z } from 'zod';
import type { SqlDatabase } from '../db/sql-database.ts';

const idRowSchema = z.object({ id: taskIdSchema });
const claimedRowSchema = z.object({ id: taskIdSchema, direct_to: nodeIdSchema.nullable() });
const ownedRowSchema = z.object({ id: taskIdSchema, status: z.string() });
const waitingRowSchema = z.object({ model: z.string(), waiting: z.coerce.number() });

/** Which caller-asked standings (`x-tessera-min-tier`) a tab may serve: a claim takes only those tasks. */
export interface ClaimableStandings {
  trusted: boolean;
  veteran: boolean;
}

/**
 * The queue several coordinator instances share, in the tasks table itself (PostgreSQL): a queued task
 * with no `owner` waits for whichever instance has a free tab for it. An instance owns what it accepted
 * while it tries to place it, and what it claimed; everything else it gives back. Ownership changes are
 * conditional writes, and a claim skips rows another instance is claiming (`FOR UPDATE SKIP LOCKED`), so
 * two instances never take the same task and none waits on another. Status changes still go through the
 * task state machine and the `TaskStore`; this class moves only the `owner` column.
 */
export class SharedQueue {
  readonly #db: SqlDatabase;

  constructor(db: SqlDatabase) {
    this.#db = db;
  }

  /**
   * Gives a queued task this instance owns back to the network, with the requester tab it streams to
   * directly (kept, so whoever claims it can introduce its tab to that one); false if it is not queued and ours.
   */
  release(id: TaskId, owner: string, directTo: NodeId | null = null): boolean {
    return (
      this.#db.run(`UPDATE tasks SET owner = NULL, direct_to = COALESCE(?, direct_to) WHERE id = ? AND owner = ? AND status = 'queued'`, [
        directTo,
        id,
        owner,
      ]).changes === 1
    );
  }

  /** Hands a task this instance owns to another (a hand-off to a tab there); false if it is not open and ours. */
  transfer(id: TaskId, from: string, to: string): boolean {
    return (
      this.#db.run(`UPDATE tasks SET owner = ? WHERE id = ? AND owner = ? AND status IN ('queued', 'assigned')`, [to, id, from]).changes ===
      1
    );
  }

  /** Takes up to `limit` unowned queued tasks of `model` a tab of these standings may serve, in service order. */
  claim(owner: string, model: string, standings: ClaimableStandings, limit: number): Array<{ id: TaskId; directTo: NodeId | null }> {
    if (limit <= 0) return [];
    const rows = this.#db.all(
      `UPDATE tasks SET owner = ? WHERE id IN (
         SELECT id FROM tasks
          WHERE status = 'queued' AND owner IS NULL AND model = ?
            AND (min_tier IS NULL OR (min_tier = 'trusted' AND ? = 1) OR (min_tier = 'veteran' AND ? = 1))
          ORDER BY priority, created_at
          LIMIT ?
          FOR UPDATE SKIP LOCKED)
       RETURNING id, direct_to`,
      [owner, model, standings.trusted ? 1 : 0, standings.veteran ? 1 : 0, limit],
    );
    return rows.map((row) => claimedRowSchema.parse(row)).map((row) => ({ id: row.id, directTo: row.direct_to }));
  }

  /** Models with unowned queued tasks, and how many: what instances with idle tabs look for. */
  waitingByModel(): Map<string, number> {
    const rows = this.#db.all(`SELECT model, count(*) AS waiting FROM tasks WHERE status = 'queued' AND owner IS NULL GROUP BY model`);
    return new Map(rows.map((row) => waitingRowSchema.parse(row)).map(({ model, waiting }) => [model, waiting]));
  }

  /** Open tasks an instance owns: queued ones and those its tabs were running. */
  ownedBy(owner: string): Array<{ id: TaskId; status: string }> {
    const rows = this.#db.all(`SELECT id, status FROM tasks WHERE owner = ? AND status IN ('queued', 'assigned')`, [owner]);
    return rows.map((row) => ownedRowSchema.parse(row));
  }

  /** Unowned queued tasks whose deadline passed: nobody is placing them, so the leader ends them. */
  unownedPastDeadline(now: number, limit = 500): TaskId[] {
    const rows = this.#db.all(`SELECT id FROM tasks WHERE status = 'queued' AND owner IS NULL AND deadline_at <= ? LIMIT ?`, [now, limit]);
    return rows.map((row) => idRowSchema.parse(row).id);
  }

  /** Takes a task whatever its owner (the leader, after its owner died); false if it is no longer open. */
  takeOver(id: TaskId, owner: string): boolean {
    return this.#db.run(`UPDATE tasks SET owner = ? WHERE id = ? AND status IN ('queued', 'assigned')`, [owner, id]).changes === 1;
  }

  /** Those of `ids` that reached a terminal state. */
  finishedAmong(ids: readonly TaskId[]): TaskId[] {
    const finished: TaskId[] = [];
    for (let start = 0; start < ids.length; start += 200) {
      const batch = ids.slice(start, start + 200);
      const rows = this.#db.all(
        `SELECT id FROM tasks WHERE id IN (${batch.map(() => '?').join(', ')}) AND status IN ('succeeded', 'failed', 'cancelled')`,
        batch,
      );
      finished.push(...rows.map((row) => idRowSchema.parse(row).id));
    }
    return finished;
  }

  /** Who owns an open task now (null: nobody, it waits for a claim; undefined: not open). */
  ownerOf(id: TaskId): string | null | undefined {
    const row = this.#db.get(`SELECT owner FROM tasks WHERE id = ? AND status IN ('queued', 'assigned')`, [id]);
    return row === undefined ? undefined : z.object({ owner: z.string().nullable() }).parse(row).owner;
  }
}
