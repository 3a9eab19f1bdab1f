import {
  nodeIdSchema,
  taskIdSchema,
  taskOutputSchema,
  taskSpecSchema,
  taskStatusSchema,
  taskTimingsSchema,
  taskUsageSchema,
  wireErrorSchema,
} from '@tessera/shared';
import type { TaskId, TaskStatus } from '@tessera/shared';
import { z } from 'zod';
import type { SqliteDatabase } from '../db/open-database.ts';
import type { TaskRecord } from './task-record.ts';
import type { NewTask, StatusCounts, TaskStore } from './task-store.ts';
import type { TaskChange } from './task-transitions.ts';

const resultRecordSchema = z.object({
  output: taskOutputSchema,
  usage: taskUsageSchema,
  timings: taskTimingsSchema,
  nodeId: nodeIdSchema,
  check: z.enum(['passed', 'unchecked', 'unverified']),
});

const taskRowSchema = z.object({
  id: taskIdSchema,
  api: z.enum(['chat.completion', 'embedding']),
  spec: z.string(),
  status: taskStatusSchema,
  priority: z.number(),
  attempts: z.number(),
  max_attempts: z.number(),
  node_id: nodeIdSchema.nullable(),
  lease_expires_at: z.number().nullable(),
  created_at: z.number(),
  deadline_at: z.number(),
  min_tier: z.enum(['trusted', 'veteran']).nullable(),
  cancel_token_hash: z.string().nullable(),
  finished_at: z.number().nullable(),
  result: z.string().nullable(),
  error: z.string().nullable(),
});

function rowToRecord(row: unknown): TaskRecord {
  const parsed = taskRowSchema.parse(row);
  return {
    id: parsed.id,
    api: parsed.api,
    spec: taskSpecSchema.parse(JSON.parse(parsed.spec)),
    status: parsed.status,
    priority: parsed.priority,
    attempts: parsed.attempts,
    maxAttempts: parsed.max_attempts,
    nodeId: parsed.node_id,
    leaseExpiresAt: parsed.lease_expires_at,
    createdAt: parsed.created_at,
    deadlineAt: parsed.deadline_at,
    minTier: parsed.min_tier,
    cancelTokenHash: parsed.cancel_token_hash,
    finishedAt: parsed.finished_at,
    result: parsed.result === null ? null : resultRecordSchema.parse(JSON.parse(parsed.result)),
    error: parsed.error === null ? null : wireErrorSchema.parse(JSON.parse(parsed.error)),
  };
}

/** `TaskStore` on SQLite (better-sqlite3, WAL): synchronous, one conditional UPDATE per change. */
export class SqliteTaskStore implements TaskStore {
  readonly #insert;
  readonly #assign;
  readonly #requeue;
  readonly #move;
  readonly #succeed;
  readonly #fail;
  readonly #cancel;
  readonly #get;
  readonly #open;
  readonly #reopenAssigned;
  readonly #counts;
  readonly #ping;

  constructor(private readonly db: SqliteDatabase) {
    this.#insert = db.prepare(
      `INSERT INTO tasks (id, kind, model, api, spec, status, priority, attempts, max_attempts, created_at, deadline_at, min_tier, cancel_token_hash)
       VALUES (@id, @kind, @model, @api, @spec, 'queued', @priority, 0, @maxAttempts, @createdAt, @deadlineAt, @minTier, @cancelTokenHash)`,
    );
    this.#assign = db.prepare(
      `UPDATE tasks SET status = 'assigned', node_id = ?, attempts = attempts + 1, lease_expires_at = ? WHERE id = ? AND status = 'queued'`,
    );
    this.#requeue = db.prepare(
      `UPDATE tasks SET status = 'queued', node_id = NULL, lease_expires_at = NULL WHERE id = ? AND status = 'assigned'`,
    );
    this.#move = db.prepare(`UPDATE tasks SET node_id = ?, lease_expires_at = ? WHERE id = ? AND status = 'assigned' AND node_id = ?`);
    this.#succeed = db.prepare(
      `UPDATE tasks SET status = 'succeeded', result = ?, finished_at = ?, lease_expires_at = NULL WHERE id = ? AND status = 'assigned'`,
    );
    this.#fail = db.prepare(
      `UPDATE tasks SET status = 'failed', error = ?, finished_at = ?, lease_expires_at = NULL WHERE id = ? AND status IN ('queued', 'assigned')`,
    );
    this.#cancel = db.prepare(
      `UPDATE tasks SET status = 'cancelled', finished_at = ?, lease_expires_at = NULL WHERE id = ? AND status IN ('queued', 'assigned')`,
    );
    this.#get = db.prepare(`SELECT * FROM tasks WHERE id = ?`);
    this.#open = db.prepare(`SELECT * FROM tasks WHERE status IN ('queued', 'assigned') ORDER BY priority, created_at`);
    this.#reopenAssigned = db.prepare(
      `UPDATE tasks SET status = 'queued', node_id = NULL, lease_expires_at = NULL WHERE status = 'assigned'`,
    );
    this.#counts = db.prepare(`SELECT status, COUNT(*) AS n FROM tasks GROUP BY status`);
    this.#ping = db.prepare(`SELECT 1`);
  }

  insert(record: NewTask): void {
    this.#insert.run({
      id: record.id,
      kind: record.spec.kind,
      model: record.spec.model,
      api: record.api,
      spec: JSON.stringify(record.spec),
      priority: record.priority,
      maxAttempts: record.maxAttempts,
      createdAt: record.createdAt,
      deadlineAt: record.deadlineAt,
      minTier: record.minTier,
      cancelTokenHash: record.cancelTokenHash,
    });
  }

  apply(id: TaskId, change: TaskChange): boolean {
    switch (change.type) {
      case 'assign':
        return this.#assign.run(change.nodeId, change.leaseExpiresAt, id).changes === 1;
      case 'renew':
        // Leases live in memory: after a restart every assigned task is queued again anyway.
        return true;
      case 'move':
        return this.#move.run(change.to, change.leaseExpiresAt, id, change.from).changes === 1;
      case 'requeue':
        return this.#requeue.run(id).changes === 1;
      case 'succeed':
        return this.#succeed.run(JSON.stringify(change.result), change.at, id).changes === 1;
      case 'fail':
        return this.#fail.run(JSON.stringify(change.error), change.at, id).changes === 1;
      case 'cancel':
        return this.#cancel.run(change.at, id).changes === 1;
    }
  }

  get(id: TaskId): TaskRecord | undefined {
    const row: unknown = this.#get.get(id);
    return row === undefined ? undefined : rowToRecord(row);
  }

  recoverOpenTasks(): TaskRecord[] {
    this.#reopenAssigned.run();
    return this.#open.all().map(rowToRecord);
  }

  counts(): StatusCounts {
    const counts: StatusCounts = { queued: 0, assigned: 0, succeeded: 0, failed: 0, cancelled: 0 };
    for (const row of this.#counts.all()) {
      const parsed = z.object({ status: taskStatusSchema, n: z.number() }).parse(row);
      counts[parsed.status satisfies TaskStatus] = parsed.n;
    }
    return counts;
  }

  ping(): void {
    this.#ping.get();
  }

  transaction<T>(work: () => T): T {
    return this.db.transaction(work)();
  }
}
